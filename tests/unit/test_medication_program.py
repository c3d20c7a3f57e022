"""A program's [medication] section: what it adds, and the refusals that name the bad key."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events.medication import (
    InteractionFound,
    OverrideAcknowledged,
    QtcEvidence,
    Severity,
)
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.runtime.program import ProgramFileError, load_program

# The example program file of the docs, so the documented keys stay the accepted ones.
EXAMPLE = Path(__file__).parents[2] / "docs" / "program.example.toml"
OLANZAPINE = EXAMPLE.read_text()


def program_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "program.toml"
    path.write_text(text)
    return path


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(ProgramFileError) as refused:
        load_program(program_file(tmp_path, text))
    return str(refused.value)


def test_a_program_adds_a_drug_a_rule_caps_and_a_hold_threshold(tmp_path: Path) -> None:
    section = load_program(program_file(tmp_path, OLANZAPINE)).medication
    rules = section.rules(Settings(program_time_zone="America/Chicago"))

    assert rules.formulary.lookup("olanzapine").classes == {"antipsychotic", "cns_depressant"}
    [added] = [r for r in rules.interactions.rules if r.id == "olanzapine-benzodiazepine"]
    assert (added.version, added.source) == ("program-1", "Zyprexa label, section 5.11")
    assert rules.take_homes.schedule_for("OTP").cap(30) == 0
    assert rules.take_homes.schedule_for("North OTP").cap(31) == 2
    assert rules.missed.hold_after == 2
    assert str(rules.zone) == "America/Chicago"

    story = Story(rules)
    story.prescribe("lorazepam", "1")
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("olanzapine", "10")
    assert refused.value.rule == "olanzapine-benzodiazepine"


def test_a_program_sets_its_own_washouts_and_dose_bounds(tmp_path: Path) -> None:
    rules = load_program(program_file(tmp_path, OLANZAPINE)).medication.rules(Settings())
    [interval] = [r for r in rules.interactions.rules if r.id == "naltrexone-opioid-free-interval"]
    assert interval.version == "program-1"
    assert interval.washout_days(frozenset({"opioid", "methadone"})) == 21
    assert rules.doses.version == "program-1"

    story = Story(rules)
    methadone = story.prescribe("methadone", "140", start=date(2026, 1, 1))  # under 150 here
    story.dose(methadone, date(2026, 1, 1), "140")
    story.on(date(2026, 1, 1), 12)
    story.discontinue(methadone)
    with pytest.raises(RuleViolation, match="clear from 2026-01-23"):
        story.prescribe("naltrexone", "50", start=date(2026, 1, 16))


def test_a_program_sets_a_stricter_initial_dose_of_methadone(tmp_path: Path) -> None:
    rules = load_program(program_file(tmp_path, OLANZAPINE)).medication.rules(Settings())
    assert (rules.initial_dose.cap, rules.initial_dose.version) == (Decimal(40), "program-1")

    story = Story(rules)
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("methadone", "45", induction=None)
    assert refused.value.rule == "methadone-initial-dose"
    assert "initial dose cap of 40 mg" in refused.value.message
    assert "Medical director sign-off, 2026-01-15" in refused.value.message
    story.prescribe("methadone", "45", induction="tolerant")
    [override] = story.events(OverrideAcknowledged)
    assert (override.rule_id, override.rule_version) == ("methadone-initial-dose", "program-1")
    assert load_program(None).medication.rules(Settings()).initial_dose.cap == Decimal(50)


def test_a_program_sets_its_own_buprenorphine_induction(tmp_path: Path) -> None:
    rules = load_program(program_file(tmp_path, OLANZAPINE)).medication.rules(Settings())
    induction = rules.buprenorphine_induction
    assert (induction.cap, induction.later, induction.version) == (
        Decimal(4),
        (Decimal(12),),
        "program-1",
    )

    story = Story(rules)
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("buprenorphine", "6", route="sublingual", induction=None)
    assert refused.value.rule == "buprenorphine-initial-dose"
    assert "initial dose cap of 4 mg" in refused.value.message
    assert "Medical director sign-off, 2026-01-15" in refused.value.message
    story.prescribe("buprenorphine", "6", route="sublingual", induction="moderate withdrawal")
    [override] = story.events(OverrideAcknowledged)
    assert (override.rule_id, override.rule_version) == ("buprenorphine-initial-dose", "program-1")
    default = load_program(None).medication.rules(Settings()).buprenorphine_induction
    assert (default.cap, default.later) == (Decimal(8), (Decimal(16),))


def test_a_program_sets_fewer_days_to_a_restart_of_methadone(tmp_path: Path) -> None:
    rules = load_program(program_file(tmp_path, OLANZAPINE)).medication.rules(Settings())
    restart = rules.initial_dose.restart
    assert (restart.after_days, restart.version) == (4, "program-1")
    assert (rules.initial_dose.cap, load_program(None).medication.rules(Settings()).initial_dose
            .restart.after_days) == (Decimal(40), 5)  # fmt: skip

    story = Story(rules)
    order = story.prescribe("methadone", "45", induction="tolerant")
    story.dose(order, day(1), "45")
    story.dose(order, day(5), "45")  # 3 days without
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(10), "45")  # 4 days without: a restart here
    assert (refused.value.rule, refused.value.details) == (
        "methadone-initial-dose",
        {"daysMissed": 4},
    )
    assert "restart version program-1; source: Medical director sign-off" in str(refused.value)
    story.dose(order, day(10), "40")


def test_a_program_sets_a_stricter_titration_of_methadone(tmp_path: Path) -> None:
    rules = load_program(program_file(tmp_path, OLANZAPINE)).medication.rules(Settings())
    limit = rules.titration
    assert (limit.window_days, limit.max_step, limit.min_interval_days, limit.version) == (
        21, Decimal(5), 4, "program-1"
    )  # fmt: skip
    assert load_program(None).medication.rules(Settings()).titration.max_step == Decimal(10)

    story = Story(rules)
    order = story.prescribe("methadone", "30", induction=None)
    story.dose(order, day(1), "30")
    with pytest.raises(RuleViolation) as refused:
        story.change(order, "35", day(4), induction=None)  # 3 days: 4 here
    assert (refused.value.field, refused.value.rule) == ("start", "methadone-titration")
    assert "Medical director sign-off, 2026-01-15" in refused.value.message
    story.change(order, "35", day(5), induction=None)


def test_a_program_sets_how_far_apart_doses_are_across_midnight(tmp_path: Path) -> None:
    rules = load_program(program_file(tmp_path, OLANZAPINE)).medication.rules(Settings())
    assert (rules.spacing.share, rules.spacing.version) == (0.4, "program-1")
    default = load_program(None).medication.rules(Settings()).spacing
    assert (default.share, default.version) == (0.5, "1")

    story = Story(rules)
    order = story.prescribe("methadone", "30", start=day(1))
    story.on(day(2), 12)
    story.dose(order, day(1), "30", hour=22)
    evening = at(day(1), 22)

    def give(after: timedelta) -> None:
        given = GivenDose(order, Decimal(30), "oral solution", 1, evening + after)
        dispensing.administer(story.record, story.stamp(NURSE), rules, uuid4(), given, site="OTP")

    with pytest.raises(RuleViolation) as refused:
        give(timedelta(hours=9, minutes=35))
    assert refused.value.rule == "dose-spacing"
    assert "at least 9.6 hours apart" in refused.value.message
    assert "version program-1; source: Medical director sign-off" in refused.value.message
    give(timedelta(hours=9, minutes=36))


def test_a_program_judges_the_qt_rule_on_its_own_qtc_bands(tmp_path: Path) -> None:
    rules = load_program(program_file(tmp_path, OLANZAPINE)).medication.rules(Settings())
    qtc = QtcEvidence(vitals_id=uuid4(), qtc_ms=480, measured_at=at(date(2025, 12, 30)))

    north = Story(rules.for_program("North OTP"))
    north.qtc = qtc
    with pytest.raises(RuleViolation) as alone:  # methadone on its own, judged on the bands
        north.prescribe("methadone")
    assert alone.value.rule == "methadone-qtc-prolonged"
    assert "QTc 480 ms (470 or more): cardiology first" in alone.value.message
    north.prescribe("methadone", ack={"methadone-qtc-prolonged": "cardiology agrees"})
    with pytest.raises(RuleViolation) as refused:
        north.prescribe("escitalopram", "10")
    assert refused.value.rule == "methadone-qt-prolonging"
    assert "QTc 480 ms (470 or more): cardiology first" in refused.value.message
    north.prescribe("escitalopram", "10", ack={"methadone-qt-prolonging": "cardiology agrees"})
    [found] = [f for f in north.events(InteractionFound) if f.rule_id == "methadone-qt-prolonging"]
    assert (found.severity, found.rule_version) == (Severity.HIGH, "2+north-qtc@2026-02")
    assert "Medical director sign-off, 2026-02-01" in found.source

    elsewhere = Story(rules.for_program("South OTP"))
    elsewhere.qtc = qtc
    elsewhere.prescribe("methadone")
    elsewhere.prescribe("escitalopram", "10")  # the default bands: 451-499 is moderate
    [default] = [
        f for f in elsewhere.events(InteractionFound) if f.rule_id == "methadone-qt-prolonging"
    ]
    assert (default.severity, default.rule_version) == (Severity.MODERATE, "2")
    [alone_default] = [
        f for f in elsewhere.events(InteractionFound) if f.rule_id == "methadone-qtc-prolonged"
    ]
    assert (alone_default.severity, alone_default.rule_version) == (Severity.MODERATE, "1")


def test_qtc_bands_for_every_program_replace_the_defaults(tmp_path: Path) -> None:
    every = OLANZAPINE.replace(
        '[medication.qtc_bands_by_program."North OTP"]', "[medication.qtc_bands]"
    )
    rules = load_program(program_file(tmp_path, every)).medication.rules(Settings())
    qt, alone = [r for r in rules.interactions.rules if r.qtc_bands]
    assert (qt.id, qt.version) == ("methadone-qt-prolonging", "2+north-qtc@2026-02")
    assert [b.from_ms for b in qt.qtc_bands] == [0, 470]
    assert (alone.id, alone.version) == ("methadone-qtc-prolonged", "1+north-qtc@2026-02")
    assert [b.from_ms for b in alone.qtc_bands] == [470]  # no finding in the normal range
    assert rules.for_program("South OTP").interactions is rules.interactions


def test_dose_bounds_name_a_formulary_medication_and_keep_usual_under_the_limit(
    tmp_path: Path,
) -> None:
    unknown = OLANZAPINE.replace(
        "[medication.dose_bounds.medications.methadone]",
        "[medication.dose_bounds.medications.methadon]",
    )
    assert "dose_bounds.medications: ['methadon'] are not in the formulary" in refusal(
        tmp_path, unknown
    )
    above = OLANZAPINE.replace("usual_max = 150", "usual_max = 1500")
    assert "usual_max 1500 is above the limit 1000" in refusal(tmp_path, above)


def test_no_file_means_the_defaults_with_the_settings(tmp_path: Path) -> None:
    rules = load_program(None).medication.rules(Settings(missed_dose_hold_after=4))
    assert rules.missed.hold_after == 4
    assert "olanzapine" not in rules.formulary.medications


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (('classes_b = ["benzodiazepine"]', 'classes_b = ["benzodiazapine"]'),
         "[medication] Value error, interaction_rules.0 (olanzapine-benzodiazepine): classes"
         " ['benzodiazapine'] match no formulary medication; known classes: acamprosate,"),
        (('id = "olanzapine-benzodiazepine"\nversion = "program-1"',
          'id = "opioid-gabapentinoid"\nversion = "1"'),
         "replaces the default rule of version '1'; give it a new version"),
        (("steps = [[1, 0], [31, 6]]", "steps = [[1, 10]]"),
         "[medication.take_home_caps] Value error, steps: from day 1 the cap is 10 days; a"
         " program may be stricter than the federal cap (7 days on day 1), not looser"),
        (('severity = "high"', 'severity = "severe"'),
         "[medication.interaction_rules.0.severity] Input should be 'high', 'moderate' or 'low'"),
        (('source = "Zyprexa label, section 5.11"', 'sauce = "x"'),
         "[medication.interaction_rules.0.source] Field required"),
        (("from_ms = 470", "from_ms = 0"),
         "Value error, bands: from_ms starts at 0 and ascends, each value once; got [0, 0]"),
        (("(470 or more): cardiology", "{qt} (470 or more): cardiology"),
         "{qtc} is the only placeholder (the measured QTc)"),
        (("from_ms = 470", "from_ms = 4700"),
         "from_ms] Input should be less than or equal to 800"),
        (("cap = 40", "cap = 60"),
         "[medication.initial_dose] Value error, initial_dose.cap 60 mg is above the federal"
         " initial dose of 50 mg (42 CFR 8.12(h)); a program may be stricter, not looser"),
        (("day_2 = 12", "day_2 = 3"),
         "[medication.buprenorphine_induction] Value error, buprenorphine_induction.day_2 3 mg"
         " is below day_1 4 mg"),
        (("day_2 = 12", "day_2 = 32"),
         "buprenorphine_induction: a cap above the usual maximum of 24 mg/day holds nothing"),
        (('day_1 = 4\nday_2 = 12\nversion = "program-1"\nsource = "Medical director sign-off,'
          ' 2026-01-15"', "day_1 = 4\nday_2 = 12"),
         "[medication.buprenorphine_induction.version] Field required"),
        (("after_days = 4", "after_days = 7"),
         "[medication.restart] Value error, restart.after_days 7 is more than the 5 days after"
         " which the guideline treats a return as a new induction; a program may be stricter,"),
        (("after_days = 4", "after_days = 1"),
         "[medication.restart.after_days] Input should be greater than or equal to 2"),
        (("share = 0.4", "share = nan"),
         "[medication.dose_spacing.share] Input should be a finite number"),
        (("share = 0.4", "share = inf"),
         "[medication.dose_spacing.share] Input should be a finite number"),
        (("share = 0.4", "share = 0.1"),
         "[medication.dose_spacing.share] Input should be greater than or equal to 0.25"),
        (("share = 0.4", "share = 1"),
         "[medication.dose_spacing.share] Input should be less than or equal to 0.75"),
        (("share = 0.4", 'share = "half"'),
         "[medication.dose_spacing.share] Input should be a valid number"),
        (('share = 0.4\nversion = "program-1"', 'share = 0.4\nversion = "1"'),
         "[medication.dose_spacing] Value error, dose_spacing.version '1' is the default"
         " rule's; give it a new version"),
        (("max_step = 5", "max_step = 15"),
         "[medication.titration] Value error, titration: max_step 15 (the guideline's: 10 mg or"
         " less) is looser than SAMHSA TIP 63's; a program may be stricter, not looser"),
    ],
)  # fmt: skip
def test_a_bad_file_names_the_key_and_what_would_be_accepted(
    tmp_path: Path, change: tuple[str, str], names: str
) -> None:
    old, new = change
    assert old in OLANZAPINE
    assert names in refusal(tmp_path, OLANZAPINE.replace(old, new))


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    assert "program file" in refusal(tmp_path, "[medication\n")
    with pytest.raises(ProgramFileError, match="program file"):
        load_program(tmp_path / "missing.toml")
