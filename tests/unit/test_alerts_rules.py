"""Each alert rule fires at its threshold and not below it, through the real commands."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from alert_story import DOCTOR, NURSE, Story, answers_totalling

from carecoord.events import Kind
from carecoord.events.checkins import AnalyteFinding, AnalyteResult, Instrument, ScreenMethod
from carecoord.events.medication import Severity
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRules
from carecoord.services.checkins import commands as checkins
from carecoord.services.medication import commands as medication
from carecoord.services.medication.induction import INITIAL_DOSE
from carecoord.services.medication.prescribing import DoseChange
from carecoord.services.therapy.record import Outcome


def phq9(total: int, item9: int = 0) -> dict[str, int]:
    answers = answers_totalling(Instrument.PHQ9, total - item9)
    answers["9"] = item9
    return answers


@pytest.mark.parametrize(
    ("instrument", "total", "fired"),
    [
        (Instrument.PHQ9, 9, []),
        (Instrument.PHQ9, 10, ["phq9-positive"]),
        (Instrument.GAD7, 9, []),
        (Instrument.GAD7, 10, ["gad7-positive"]),
        (Instrument.CIWA_AR, 9, []),
        (Instrument.CIWA_AR, 10, ["ciwa-above-threshold"]),
        (Instrument.CIWA_AR, 18, ["ciwa-above-threshold"]),
        (Instrument.CIWA_AR, 19, ["ciwa-severe"]),
        (Instrument.AUDIT, 19, []),
        (Instrument.AUDIT, 20, ["audit-zone-iv"]),
        (Instrument.AUDIT, 40, ["audit-zone-iv"]),
        (Instrument.DAST10, 8, []),
        (Instrument.DAST10, 9, ["dast10-severe"]),
        (Instrument.DAST10, 10, ["dast10-severe"]),
    ],
)
def test_score_thresholds(instrument: Instrument, total: int, fired: list[str]) -> None:
    story = Story()
    story.instrument(instrument, answers_totalling(instrument, total))
    assert story.fired() == fired


@pytest.mark.parametrize(
    ("total", "items", "fired"),
    [
        (3, {"seizure": 0, "visual_disturbances": 3}, []),
        (4, {"visual_disturbances": 4}, ["ciwa-signs"]),
        (1, {"seizure": 1}, ["ciwa-signs"]),
        (12, {"orientation": 4}, ["ciwa-above-threshold", "ciwa-signs"]),
        (19, {"seizure": 1}, ["ciwa-severe", "ciwa-signs"]),
    ],
)
def test_ciwa_seizure_hallucinations_or_disorientation_fire_whatever_the_total(
    total: int, items: dict[str, int], fired: list[str]
) -> None:
    scored = sum(v for k, v in items.items() if k != "seizure")
    story = Story()
    story.instrument(
        Instrument.CIWA_AR, answers_totalling(Instrument.CIWA_AR, total - scored) | items
    )
    assert story.fired() == fired
    if "ciwa-signs" in fired:
        alert = story.alerts()[-1]
        assert alert.severity is Severity.HIGH
        assert alert.detail.startswith("CIWA-Ar ")


def test_phq9_item9_fires_whatever_the_total() -> None:
    story = Story()
    story.instrument(Instrument.PHQ9, phq9(1, item9=1), actor=NURSE)
    [alert] = story.alerts()
    assert (alert.rule_id, alert.severity) == ("phq9-item9", Severity.HIGH)
    assert alert.detail == "PHQ-9 item 9 answered 1 (several days); total 1 (minimal)"
    story.instrument(Instrument.PHQ9, phq9(3, item9=0))
    assert story.fired() == ["phq9-item9"]


def test_a_phq9_with_item9_unanswered_asks_for_it_and_counts_it_as_no_answer() -> None:
    """Prorated without item 9, a PHQ-9 raises no item-9 alert as if it were 0, nor stays
    silent: the unasked self-harm question is asked for today."""
    story = Story()
    answers = phq9(4)
    del answers["9"]
    story.instrument(Instrument.PHQ9, answers, actor=NURSE)
    [alert] = story.alerts()
    assert (alert.rule_id, alert.severity) == ("phq9-item9-unanswered", Severity.HIGH)
    assert alert.detail == "PHQ-9 item 9 unanswered; total 5 prorated (mild)"
    answers = phq9(4, item9=1)
    del answers["1"]
    story.instrument(Instrument.PHQ9, answers, actor=NURSE)
    assert story.fired() == ["phq9-item9-unanswered", "phq9-item9"]


def test_a_phq9_item9_alert_tells_the_answer_apart_from_the_totals_band() -> None:
    """Its detail read "PHQ-9 item 9 1 (minimal)": the total's band beside item 9's answer,
    which a clinician read as the answer's. The answer now says what it means, the total
    and its band stand apart, and the rule's version moved with the words."""
    story = Story()
    story.instrument(Instrument.PHQ9, phq9(22, item9=3), actor=NURSE)
    alerts = {alert.rule_id: alert for alert in story.alerts()}
    item9 = alerts["phq9-item9"]
    assert item9.detail == "PHQ-9 item 9 answered 3 (nearly every day); total 22 (severe)"
    assert item9.rule_version == "2"
    assert alerts["phq9-positive"].detail == "PHQ-9 total 22 (severe)"


def test_an_alert_names_its_rule_version_evidence_and_cause() -> None:
    story = Story()
    trigger = story.instrument(Instrument.GAD7, answers_totalling(Instrument.GAD7, 15))
    [alert] = story.alerts()
    assert alert.rule_version == "1"
    assert alert.evidence == (trigger,)
    assert alert.causation_id == trigger
    assert alert.occurred_at == story.now
    assert "GAD-7 total 15 (severe)" in alert.summary()


def test_cows_fires_during_maintenance_only() -> None:
    story = Story()
    order = story.prescribe("methadone")
    story.dose(order)
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 20))
    assert story.fired() == [], "induction: withdrawal is expected"
    story.later(days=7)
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 12))
    assert story.fired() == []
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 13))
    assert story.fired() == ["cows-maintenance"]


def test_cows_goes_by_the_order_in_force_when_it_was_taken() -> None:
    """A restart begins a new induction: the first order's maintenance does not carry over,
    and a score taken between the two orders, entered late, is on no agonist."""
    story = Story()
    first = story.prescribe("methadone")
    story.dose(first)
    story.later(days=30)
    story.stop(first)
    off = story.later(days=5)
    story.later(days=5)
    restart = story.prescribe("methadone")
    story.dose(restart)
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 20), at=off)
    assert story.fired() == [], "taken while on no agonist"
    story.later(days=3)
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 20))
    assert story.fired() == [], "four days into the new order: induction"
    story.later(days=7)
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 20))
    assert story.fired() == ["cows-maintenance"]


def test_a_dose_change_keeps_the_maintenance_of_the_order_it_replaced() -> None:
    story = Story()
    first = story.prescribe("methadone")
    story.dose(first)
    story.later(days=8)
    change = DoseChange(
        first, Decimal(80), story.now.date(), reason="still craving",
        acknowledgements={INITIAL_DOSE: "seen after a week away, tolerance assessed"},
    )  # fmt: skip
    story.run(medication.change_dose(story.stamp(DOCTOR), client_id=story.client_id, change=change))
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 20))
    assert story.fired() == ["cows-maintenance"], "nine days since the first dose"


def test_cows_without_an_agonist_raises_nothing() -> None:
    story = Story()
    story.later(days=30)
    story.instrument(Instrument.COWS, answers_totalling(Instrument.COWS, 30))
    assert story.fired() == []


def test_substance_use_reported_in_a_check_in_or_bam() -> None:
    story = Story()
    story.check_in(craving=30, substance_use=False)
    assert story.fired() == []
    story.check_in(substance_use=True, substances=("alcohol",))
    assert story.fired() == ["substance-use-reported"]
    assert story.alerts()[0].detail == "use since last check-in: alcohol"
    bam = answers_totalling(Instrument.BAM, 0) | {"6": 2}
    story.instrument(Instrument.BAM, bam)
    assert story.fired()[-1] == "bam-use-reported"


def test_craving_rise_against_the_clients_own_baseline() -> None:
    story = Story()
    for value in (40, 35, 45, 38, 42):  # baseline 40
        story.check_in(craving=value)
    for value in (62, 58, 65):
        story.check_in(craving=value)
    assert story.fired() == [], "58 is below baseline + 20"
    story.check_in(craving=70)
    assert story.fired() == [], "the window is 58, 65, 70"
    story.check_in(craving=75)
    [alert] = story.alerts()
    assert alert.rule_id == "craving-rise"
    assert len(alert.evidence) == 3
    story.check_in(craving=90)
    assert story.fired() == ["craving-rise"], "once while the alert is open"
    story.resolve(alert.alert_id)
    story.check_in(craving=91)
    assert story.fired() == ["craving-rise", "craving-rise"]


def test_mood_drop_against_the_clients_own_baseline() -> None:
    story = Story()
    for value in (7, 6, 8, 7, 7):  # baseline 7
        story.check_in(mood=value)
    for value in (4, 5, 3):
        story.check_in(mood=value)
    assert story.fired() == [], "5 is not 3 below the baseline"
    story.check_in(mood=4)
    assert story.fired() == [], "the window is 5, 3, 4"
    story.check_in(mood=2)
    [alert] = story.alerts()
    assert alert.rule_id == "mood-drop"
    assert alert.detail == "mood 3, 4, 2 against a baseline of 7 (last 7 readings)"
    assert len(alert.evidence) == 3
    story.check_in(mood=1)
    assert story.fired() == ["mood-drop"], "once while the alert is open"
    story.resolve(alert.alert_id)
    story.check_in(mood=2)
    assert story.fired() == ["mood-drop", "mood-drop"]


def test_a_mood_drop_needs_a_baseline_and_ignores_a_mood_in_error() -> None:
    story = Story()
    for value in (7, 7):
        story.check_in(mood=value)
    for value in (2, 2, 2):
        story.check_in(mood=value)
    assert story.fired() == [], "two readings before the window are no baseline"
    fresh = Story()
    for value in (7, 7, 7):
        fresh.check_in(mood=value)
    fresh.check_in(mood=3)
    mistyped = fresh.check_in(mood=3)
    fresh.mark_in_error(mistyped, "wrong client")
    fresh.check_in(mood=3)
    assert fresh.fired() == [], "the mood recorded in error is not in the run"
    fresh.check_in(mood=3)
    assert fresh.fired() == ["mood-drop"]


@pytest.mark.parametrize(
    ("measure", "usual", "changed", "rule"),
    [("craving", 10, 60, "craving-rise"), ("mood", 8, 3, "mood-drop")],
)
def test_a_reading_in_error_that_hid_a_run_raises_it_when_marked(
    measure: str, usual: int, changed: int, rule: str
) -> None:
    """A usual reading typed on the wrong client broke the run the readings around it made,
    and marking it left a rise (or a drop) no alert told of until the next check-in."""
    story = Story()

    def reading(value: int) -> UUID:
        return story.check_in(craving=value) if measure == "craving" else story.check_in(mood=value)

    for _ in range(3):
        reading(usual)
    run = [reading(changed) for _ in range(2)]
    wrong = reading(usual)
    run.append(reading(changed))
    assert story.fired() == []
    story.mark_in_error(wrong, "typed on the wrong client")
    [alert] = story.alerts()
    assert (alert.rule_id, alert.evidence) == (rule, tuple(run))
    story.resolve(alert.alert_id)
    again = reading(usual)
    story.mark_in_error(again, "typed on the wrong client")
    assert story.fired() == [rule], "the run stood before that reading: raised, and resolved"


def test_moods_and_cravings_are_separate_series() -> None:
    story = Story()
    for _ in range(5):
        story.check_in(mood=7, craving=40)
    for _ in range(3):
        story.check_in(mood=2)
    assert story.fired() == ["mood-drop"], "check-ins without a craving are no craving rise"


def test_a_craving_entered_late_does_not_make_a_rise_the_latest_reading_ends() -> None:
    story = Story()
    for value in (40, 35, 45, 38, 42):  # baseline 40
        story.check_in(craving=value)
    story.later(days=3)
    story.check_in(craving=30)
    taken = story.now
    for value, days_before in ((62, 3), (65, 2), (70, 1)):  # from paper, entered after the 30
        story.check_in(craving=value, at=taken - timedelta(days=days_before))
    assert story.fired() == [], "taken in that order, the latest reading is 30"


def test_a_craving_entered_late_does_not_hide_a_rise() -> None:
    story = Story()
    for value in (40, 35, 45, 38, 42):  # baseline 40
        story.check_in(craving=value)
    fifth = story.now
    rise = [story.check_in(craving=62), story.check_in(craving=65)]
    story.check_in(craving=30, at=fifth - timedelta(hours=12))  # a baseline reading, entered late
    assert story.fired() == []
    rise.append(story.check_in(craving=70))
    [alert] = story.alerts()
    assert alert.rule_id == "craving-rise"
    assert alert.evidence == tuple(rise)


def test_a_high_craving_without_a_baseline_is_not_a_rise() -> None:
    story = Story()
    for value in (90, 95, 92, 99):
        story.check_in(craving=value)
    assert story.fired() == []


@pytest.mark.parametrize(
    ("qtc", "fired"),
    [
        (450, []),
        (451, ["qtc-methadone-prolonged"]),
        (499, ["qtc-methadone-prolonged"]),
        (500, ["qtc-methadone-critical"]),
    ],
)
def test_qtc_on_methadone(qtc: int, fired: list[str]) -> None:
    story = Story()
    story.prescribe("methadone")
    story.vitals(qtc_ms=qtc)
    assert story.fired() == fired


def test_a_qtc_measured_before_the_latest_one_raises_nothing() -> None:
    story = Story()
    story.prescribe("methadone")
    story.later(days=3)
    story.vitals(qtc_ms=430)
    measured = story.now
    story.vitals(qtc_ms=520, at=measured - timedelta(days=2))
    assert story.fired() == [], "the 430 measured after it stands"
    story.vitals(qtc_ms=505, at=measured + timedelta(hours=6))
    assert story.fired() == ["qtc-methadone-critical"], "entered late, but the latest measured"


def test_a_qtc_in_error_lets_the_one_measured_before_it_raise_its_alert() -> None:
    """A long QTc entered late stood behind a later one, which was the wrong client's: once
    that is marked, the long one is the client's latest, and no alert told of it."""
    story = Story()
    story.prescribe("methadone")
    story.later(days=3)
    wrong = story.vitals(qtc_ms=430)
    long = story.vitals(qtc_ms=520, at=story.now - timedelta(days=2))
    assert story.fired() == []
    story.mark_in_error(wrong, "the wrong client's ECG")
    [alert] = story.alerts()
    assert (alert.rule_id, alert.evidence) == ("qtc-methadone-critical", (long,))


def test_qtc_without_methadone_raises_nothing() -> None:
    story = Story()
    story.prescribe("buprenorphine")
    story.vitals(qtc_ms=520)
    assert story.fired() == []


def test_screen_positive_for_benzodiazepines_or_alcohol_on_an_agonist() -> None:
    story = Story()
    story.screen(benzodiazepines="positive")
    assert story.fired() == [], "not on an agonist"
    story.later(days=8)  # past the week the screen counts for buprenorphine's interactions
    story.prescribe("buprenorphine")
    story.screen(benzodiazepines="negative", alcohol="negative", buprenorphine="positive")
    assert story.fired() == []
    story.screen(benzodiazepines="positive", alcohol="positive", buprenorphine="positive")
    [alert] = story.alerts()
    assert alert.rule_id == "screen-depressant-on-agonist"
    assert alert.detail == "positive for alcohol, benzodiazepines while on buprenorphine"


def test_benzodiazepine_or_alcohol_use_reported_on_an_agonist_raises_the_depressant_alert() -> None:
    """Told at a check-in, the combination is the overdose risk a screen finding is: only the
    moderate relapse review was raised. One alert for the check-in, whatever it names."""
    off = Story()
    off.check_in(substance_use=True, substances=("Xanax",))
    assert off.fired() == ["substance-use-reported"], "not on an agonist"

    story = Story()
    story.prescribe("methadone")
    story.check_in(substance_use=True, substances=("cannabis",))
    assert story.fired() == ["substance-use-reported"]
    said = story.check_in(substance_use=True, substances=("Xanax", "valium", "beer", "cannabis"))
    assert sorted(story.fired()[1:]) == ["screen-depressant-on-agonist", "substance-use-reported"]
    [alert] = [a for a in story.alerts() if a.rule_id == "screen-depressant-on-agonist"]
    assert (alert.severity, alert.rule_version) == (Severity.HIGH, "6")
    assert alert.detail == (
        "use of alcohol, benzodiazepines reported at a check-in while on methadone"
    )
    assert alert.evidence == (said,)


def test_a_barbiturate_positive_screen_on_an_agonist_raises_the_depressant_alert() -> None:
    """Barbiturates are CNS depressants (domain.md section 5) on the panel no rule read."""
    story = Story()
    story.prescribe("buprenorphine")
    story.screen(barbiturates="positive", buprenorphine="positive")
    [alert] = story.alerts()
    assert alert.rule_id == "screen-depressant-on-agonist"
    assert alert.detail == "positive for barbiturates while on buprenorphine"


def test_zolpidem_found_or_reported_on_an_agonist_raises_the_depressant_alert() -> None:
    """Zolpidem counts for the prescribing rule opioid-cns-depressant; the alert row left it
    out (version 4), so a zolpidem-positive screen on methadone told the care team nothing."""
    story = Story()
    story.prescribe("methadone")
    story.screen(zolpidem="positive", methadone="positive")
    said = story.check_in(substance_use=True, substances=("Ambien",))
    found, told = [a for a in story.alerts() if a.rule_id == "screen-depressant-on-agonist"]
    assert (found.rule_version, found.detail) == ("6", "positive for zolpidem while on methadone")
    assert (told.detail, told.evidence) == (
        "use of zolpidem reported at a check-in while on methadone",
        (said,),
    )


def test_alcohol_found_or_reported_on_disulfiram_alerts_the_care_team() -> None:
    """A disulfiram-ethanol reaction is the danger now: the prescribing rule speaks only when
    disulfiram is next written, and no alert told of the drink."""
    story = Story()
    story.check_in(substance_use=True, substances=("beer",))
    assert story.fired() == ["substance-use-reported"], "not on disulfiram"
    story.later(days=2)  # past the day alcohol counts against disulfiram's first dose
    story.prescribe("disulfiram")
    screen = story.screen(etg="positive")
    said = story.check_in(substance_use=True, substances=("vodka",))
    found, told = [a for a in story.alerts() if a.rule_id == "alcohol-on-disulfiram"]
    assert (found.severity, found.rule_version) == (Severity.HIGH, "1")
    assert (found.detail, found.evidence) == ("positive for etg while on disulfiram", (screen,))
    assert (told.detail, told.evidence) == (
        "use of alcohol reported at a check-in while on disulfiram",
        (said,),
    )
    assert DEFAULT_ALERT_RULES.tells("alcohol-on-disulfiram") >= {Kind.MEDICATION}


def test_alcohol_within_two_weeks_of_stopping_disulfiram_alerts_the_care_team() -> None:
    """The label's window: disulfiram blocks alcohol's breakdown for up to two weeks after
    the last dose, so a drink then may bring on the reaction."""
    story = Story()
    story.stop(story.prescribe("disulfiram"))
    story.later(days=12)
    story.check_in(substance_use=True, substances=("beer",))
    [alert] = [a for a in story.alerts() if a.rule_id == "alcohol-on-disulfiram"]
    assert alert.detail == (
        "use of alcohol reported at a check-in within 14 days of stopping disulfiram"
    )
    story.later(days=2)
    story.check_in(substance_use=True, substances=("beer",))
    assert story.fired()[-1] == "substance-use-reported", "past the two weeks"


def test_a_screen_entered_late_goes_by_the_orders_when_it_was_collected() -> None:
    story = Story()
    before_mat = story.later(hours=1)
    story.later(days=3)
    story.prescribe("methadone")
    on_mat = story.later(days=2)
    story.later(days=5)
    story.screen(at=before_mat, benzodiazepines="positive", methadone="negative", eddp="negative")
    assert story.fired() == [], "collected before the first order"
    story.screen(at=on_mat, benzodiazepines="positive", methadone="negative", eddp="negative")
    assert sorted(story.fired()) == ["screen-depressant-on-agonist", "screen-negative-for-agonist"]
    assert {a.detail for a in story.alerts()} == {
        "positive for benzodiazepines while on methadone",
        "negative for prescribed methadone",
    }


def test_screen_positive_for_fentanyl_on_any_client() -> None:
    story = Story()
    story.screen(fentanyl="negative", norfentanyl="negative", cocaine="positive")
    assert story.fired() == []
    story.screen(norfentanyl="positive")
    [alert] = story.alerts()
    assert (alert.rule_id, alert.severity) == ("screen-fentanyl", Severity.HIGH)
    assert alert.detail == "positive for norfentanyl"
    assert "naloxone" in alert.action
    assert "do not withhold MAT" in alert.action


def test_screen_positive_for_xylazine_on_any_client() -> None:
    story = Story()
    story.screen(xylazine="negative", fentanyl="negative")
    assert story.fired() == []
    story.screen(xylazine="positive", fentanyl="positive")
    assert sorted(story.fired()) == ["screen-fentanyl", "screen-xylazine"]
    [alert] = [a for a in story.alerts() if a.rule_id == "screen-xylazine"]
    assert (alert.severity, alert.detail) == (Severity.HIGH, "positive for xylazine")
    assert "not reversed" in alert.action
    assert "wound" in alert.action


def test_fentanyl_or_xylazine_use_reported_raises_its_overdose_alert_for_any_client() -> None:
    """Told at a check-in, fentanyl is the overdose risk a screen finding it is, on an agonist
    or not: only the moderate relapse review was raised. The alert names the analyte, never
    the check-in's words; one per check-in beside the relapse review."""
    story = Story()
    story.check_in(substance_use=True, substances=("cannabis", "fentanil"))
    assert story.fired() == ["substance-use-reported"]
    said = story.check_in(substance_use=True, substances=("Fetty", "cannabis"))
    assert sorted(story.fired()[1:]) == ["screen-fentanyl", "substance-use-reported"]
    [alert] = [a for a in story.alerts() if a.rule_id == "screen-fentanyl"]
    assert (alert.severity, alert.rule_version) == (Severity.HIGH, "2")
    assert alert.detail == "use of fentanyl reported at a check-in"
    assert alert.evidence == (said,)
    assert "naloxone" in alert.action

    story.check_in(substance_use=True, substances=("Tranq", "fentanyls"))
    assert sorted(story.fired()[3:]) == [
        "screen-fentanyl",
        "screen-xylazine",
        "substance-use-reported",
    ]
    [xylazine] = [a for a in story.alerts() if a.rule_id == "screen-xylazine"]
    assert xylazine.detail == "use of xylazine reported at a check-in"


def test_a_screen_or_use_alert_shows_only_to_who_sees_both_screens_and_check_ins() -> None:
    """Raised by a check-in as well as a screen, a fentanyl alert may tell what the client
    said: a reader who sees screens (by a consent to medication records) and not check-ins is
    not told it by the alert."""
    medication_only = AlertRules().shown_to(frozenset({Kind.MEDICATION, Kind.ALERT}))
    assert medication_only is not None
    assert not {"screen-fentanyl", "screen-xylazine"} & medication_only


def test_fentanyl_on_an_agonist_raises_both_screen_alerts() -> None:
    story = Story()
    story.prescribe("methadone")
    story.screen(fentanyl="positive", benzodiazepines="positive", methadone="positive")
    assert sorted(story.fired()) == ["screen-depressant-on-agonist", "screen-fentanyl"]
    assert {a.detail for a in story.alerts()} == {
        "positive for fentanyl",
        "positive for benzodiazepines while on methadone",
    }


def test_screen_negative_for_the_prescribed_agonist() -> None:
    story = Story()
    story.prescribe("methadone")
    story.screen(cocaine="negative")
    assert story.fired() == [], "methadone was not tested"
    story.screen(methadone="negative", eddp="positive")
    assert story.fired() == [], "the metabolite shows it was taken"
    story.screen(methadone="negative", eddp="negative")
    assert story.fired() == ["screen-negative-for-agonist"]


def test_repeated_no_shows_fire_once_until_resolved_and_attendance_resets() -> None:
    story = Story()
    story.session(Outcome.NO_SHOW)
    story.session(Outcome.LATE_CANCELLED)
    assert story.fired() == []
    story.session(Outcome.NO_SHOW)
    [alert] = story.alerts()
    assert (alert.rule_id, alert.detail, len(alert.evidence)) == (
        "repeated-no-shows",
        "2 consecutive no-shows",
        2,
    )
    story.session(Outcome.NO_SHOW)
    assert len(story.alerts()) == 1
    story.acknowledge(alert.alert_id)
    story.resolve(alert.alert_id)
    story.session(Outcome.ATTENDED)
    story.session(Outcome.NO_SHOW)
    assert len(story.alerts()) == 1, "attendance started a new run"
    story.session(Outcome.NO_SHOW)
    assert story.fired() == ["repeated-no-shows", "repeated-no-shows"]


def test_no_shows_are_consecutive_in_the_order_sessions_began() -> None:
    story = Story()
    story.later(days=10)
    monday = story.now - timedelta(days=4)
    story.session(Outcome.ATTENDED, began=monday + timedelta(days=2))
    story.session(Outcome.NO_SHOW, began=monday)  # entered after Wednesday's attendance
    story.session(Outcome.NO_SHOW)
    assert story.fired() == [], "Wednesday's attendance is between the two no-shows"

    story = Story()
    story.later(days=10)
    monday = story.now
    story.session(Outcome.NO_SHOW, began=monday)
    story.session(Outcome.ATTENDED, began=monday - timedelta(days=7))  # last week's, entered late
    story.session(Outcome.NO_SHOW)
    [alert] = story.alerts()
    assert (alert.rule_id, alert.detail) == ("repeated-no-shows", "2 consecutive no-shows")


def test_a_program_can_change_a_threshold_and_its_version_travels() -> None:
    from dataclasses import replace

    from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES

    [ciwa] = [r for r in DEFAULT_ALERT_RULES.rules if r.id == "ciwa-above-threshold"]
    rules = DEFAULT_ALERT_RULES.with_rules(replace(ciwa, threshold=8, version="2-program"))
    story = Story(rules)
    story.instrument(Instrument.CIWA_AR, answers_totalling(Instrument.CIWA_AR, 8))
    [alert] = story.alerts()
    assert (alert.rule_id, alert.rule_version) == ("ciwa-above-threshold", "2-program")
    assert story.now - alert.occurred_at < timedelta(seconds=1)


def test_an_alert_shows_to_readers_who_see_what_its_rule_tells_of() -> None:
    """The peer supporter's kinds (care, check-ins, alerts) show the check-in rows' alerts and
    the no-show run (outreach is theirs), not those that tell of orders or of a drug screen
    (MEDICATION kind, as the screen is); a reader who sees orders and therapy sees every
    alert, a rule taken out of the table since included."""
    rules = AlertRules()
    peer = rules.shown_to(frozenset({Kind.CARE, Kind.CHECK_IN, Kind.ALERT}))
    assert peer is not None
    assert {"phq9-item9", "craving-rise", "repeated-no-shows"} <= peer
    told_of_orders = {
        "qtc-methadone-critical",
        "screen-depressant-on-agonist",
        "screen-negative-for-agonist",
        "screen-fentanyl",
        "screen-xylazine",
        "cows-maintenance",
    }
    assert not told_of_orders & peer
    nurse = frozenset({Kind.CARE, Kind.MEDICATION, Kind.DOSING, Kind.THERAPY, Kind.CHECK_IN})
    assert rules.shown_to(nurse | {Kind.ALERT}) is None


def test_a_definitive_screen_raises_again_nothing_its_presumptive_screen_raised() -> None:
    """The lab's definitive test of a specimen (``confirms``) finding what the presumptive
    screen of it found is one condition: each rule alerts once on a specimen. It raised every
    alert of the presumptive screen again, a second high fentanyl alert among them."""
    story = Story()
    story.prescribe("methadone")

    def definitive(presumptive: UUID, **results: str) -> None:
        findings = {
            a: AnalyteFinding(analyte=a, result=AnalyteResult(r)) for a, r in results.items()
        }
        story.next_day(
            checkins.record_drug_screen, NURSE, method=ScreenMethod.DEFINITIVE,
            results=findings, confirms=presumptive,
        )  # fmt: skip

    first = story.screen(
        fentanyl="positive", benzodiazepines="positive", methadone="negative", eddp="negative"
    )
    raised = sorted(story.fired())
    assert raised == [
        "screen-depressant-on-agonist",
        "screen-fentanyl",
        "screen-negative-for-agonist",
    ]
    definitive(first, fentanyl="positive", benzodiazepines="positive", methadone="negative")
    assert sorted(story.fired()) == raised
    second = story.screen(fentanyl="negative", methadone="positive")
    definitive(second, fentanyl="positive")
    assert story.fired()[len(raised) :] == ["screen-fentanyl"], "found by the lab alone"
