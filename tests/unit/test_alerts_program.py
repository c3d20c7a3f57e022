"""A program's own alert thresholds from its program file: applied, versioned, and a bad file
refused naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from alert_story import Story, answers_totalling

from carecoord.events.checkins import Instrument
from carecoord.events.medication import Severity
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRules
from carecoord.services.runtime.program import ProgramFileError, load_program
from carecoord.services.therapy.record import Outcome

SIGNED = 'source = "Medical director, 2026-01-15"\n'


def program(tmp_path: Path, text: str) -> AlertRules:
    path = tmp_path / "program.toml"
    path.write_text(text)
    return load_program(path).alerts.table


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(ProgramFileError) as refused:
        program(tmp_path, text)
    return str(refused.value)


def test_no_file_and_an_empty_section_mean_the_defaults(tmp_path: Path) -> None:
    assert load_program(None).alerts.table == DEFAULT_ALERT_RULES
    assert program(tmp_path, "[alerts]\n") == DEFAULT_ALERT_RULES
    assert DEFAULT_ALERT_RULES.problems() == []


def test_a_changed_row_keeps_its_id_and_records_the_change_in_its_version(
    tmp_path: Path,
) -> None:
    text = f"[alerts]\n{SIGNED}[alerts.rules.ciwa-above-threshold]\nthreshold = 8\n"
    rules = program(tmp_path, text)
    ciwa = rules.rule("ciwa-above-threshold")
    assert ciwa is not None
    assert (ciwa.threshold, ciwa.below) == (8, 19)
    assert ciwa.version.startswith("1+program:")
    assert ciwa.source.endswith("; program: Medical director, 2026-01-15")
    assert rules.rule("ciwa-severe") == DEFAULT_ALERT_RULES.rule("ciwa-severe")
    assert program(tmp_path, text) == rules, "the same file gives the same versions"
    other = program(tmp_path, text.replace("= 8", "= 9")).rule("ciwa-above-threshold")
    assert other is not None
    assert other.version != ciwa.version


def test_the_program_threshold_decides_and_travels_on_the_alert(tmp_path: Path) -> None:
    rules = program(
        tmp_path,
        f"[alerts]\n{SIGNED}[alerts.rules.repeated-no-shows]\nthreshold = 3\nseverity = 'high'\n",
    )
    story = Story(rules)
    story.session(Outcome.NO_SHOW)
    story.session(Outcome.NO_SHOW)
    assert story.fired() == [], "the default would fire at two"
    story.session(Outcome.NO_SHOW)
    [alert] = story.alerts()
    assert (alert.severity, alert.detail) == (Severity.HIGH, "3 consecutive no-shows")
    rule = rules.rule("repeated-no-shows")
    assert rule is not None
    assert alert.rule_version == rule.version


def test_a_craving_rise_window_and_delta_from_the_program(tmp_path: Path) -> None:
    rules = program(
        tmp_path,
        f"[alerts]\n{SIGNED}[alerts.rules.craving-rise]\nwindow = 2\nthreshold = 10\n",
    )
    story = Story(rules)
    for value in (40, 35, 45, 52, 55):  # baseline 40; the last two are 10+ above it
        story.check_in(craving=value)
    assert story.fired() == ["craving-rise"]
    assert Story().fired() == []


def test_a_lower_ciwa_threshold_fires_where_the_default_does_not(tmp_path: Path) -> None:
    rules = program(
        tmp_path, f"[alerts]\n{SIGNED}[alerts.rules.ciwa-above-threshold]\nthreshold = 8\n"
    )
    answers = answers_totalling(Instrument.CIWA_AR, 8)
    default, changed = Story(), Story(rules)
    default.instrument(Instrument.CIWA_AR, answers)
    changed.instrument(Instrument.CIWA_AR, answers)
    assert (default.fired(), changed.fired()) == ([], ["ciwa-above-threshold"])


def test_a_program_may_turn_a_rule_off_or_change_its_severity(tmp_path: Path) -> None:
    off = program(tmp_path, f"[alerts]\n{SIGNED}[alerts.rules.screen-fentanyl]\ndisabled = true\n")
    assert off.rule("screen-fentanyl") is None
    assert off.rules == DEFAULT_ALERT_RULES.without("screen-fentanyl").rules
    story = Story(off)
    story.screen(fentanyl="positive")
    assert story.fired() == []
    lower = program(
        tmp_path, f"[alerts]\n{SIGNED}[alerts.rules.screen-fentanyl]\nseverity = 'moderate'\n"
    )
    story = Story(lower)
    story.screen(fentanyl="positive")
    [alert] = story.alerts()
    assert (alert.rule_id, alert.severity) == ("screen-fentanyl", Severity.MODERATE)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[alerts]\n[alerts.rules.ciwa-above-threshold]\nthreshold = 8\n", "source"),
        (f"[alerts]\n{SIGNED}[alerts.rules.ciwa-moderate]\nthreshold = 8\n", "no such rule"),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.ciwa-above-threshold]\nwindow = 3\n",
            "window cannot be set on this rule",
        ),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.ciwa-above-threshold]\ntreshold = 8\n",
            "alerts.rules.ciwa-above-threshold.treshold",
        ),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.ciwa-above-threshold]\nthreshold = -1\n",
            "alerts.rules.ciwa-above-threshold.threshold",
        ),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.ciwa-severe]\nthreshold = 15\n",
            "ciwa-above-threshold and ciwa-severe overlap: both would fire for 15",
        ),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.ciwa-above-threshold]\nthreshold = 20\n",
            "threshold 20 is not below its upper bound 19",
        ),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.ciwa-severe]\nthreshold = 25\n",
            "ciwa-above-threshold ends below 19 and no row on its measure starts there: 19 to"
            " 24 would raise nothing",
        ),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.qtc-methadone-prolonged]\nbelow = 480\n",
            "480 to 499 would raise nothing",
        ),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.ciwa-severe]\ndisabled = true\n",
            "19 and above would raise nothing",
        ),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.craving-rise]\nbaseline_min = 12\n",
            "baseline_min 12 is more than baseline 10",
        ),
        (
            f"[alerts]\n{SIGNED}[alerts.rules.screen-fentanyl]\ndisabled = true\n"
            "severity = 'low'\n",
            "rules.screen-fentanyl: a disabled rule takes no severity",
        ),
        ("[alerts]\n[alerts.rules.screen-fentanyl]\ndisabled = true\n", "source"),
        ("[alerts\n", "program.toml"),
        ("[alert]\n", "[alert]"),
    ],
)
def test_a_bad_program_file_is_refused_naming_the_key(tmp_path: Path, text: str, said: str) -> None:
    assert said in refusal(tmp_path, text)


def test_moving_both_ciwa_rows_together_is_accepted(tmp_path: Path) -> None:
    """A severe row moved up with the milder row's bound, or the milder row turned off alone,
    leaves no score between them raising nothing."""
    rules = program(
        tmp_path,
        f"[alerts]\n{SIGNED}[alerts.rules.ciwa-above-threshold]\nthreshold = 8\nbelow = 15\n"
        "[alerts.rules.ciwa-severe]\nthreshold = 15\n",
    )
    assert rules.problems() == []
    for text in (
        "[alerts.rules.qtc-methadone-prolonged]\nbelow = 520\n"
        "[alerts.rules.qtc-methadone-critical]\nthreshold = 520\n",
        "[alerts.rules.ciwa-above-threshold]\ndisabled = true\n",
    ):
        assert program(tmp_path, f"[alerts]\n{SIGNED}{text}").problems() == []
    story = Story(rules)
    story.instrument(Instrument.CIWA_AR, answers_totalling(Instrument.CIWA_AR, 15))
    assert story.fired() == ["ciwa-severe"]


def test_every_start_says_which_rows_the_program_changed_or_turned_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    program(
        tmp_path,
        "[alerts]\n" + SIGNED + "[alerts.rules.ciwa-above-threshold]\nthreshold = 8\n"
        "[alerts.rules.phq9-item9]\ndisabled = true\n",
    )

    (said,) = [r for r in caplog.records if getattr(r, "code", None) == "ALERT_RULES_CHANGED"]
    changed, disabled = vars(said)["changed"], vars(said)["disabled"]
    assert said.levelname == "WARNING"
    assert [c.partition("@")[0] for c in changed] == ["ciwa-above-threshold"]
    assert changed[0].partition("@")[2].startswith("1+program:")
    assert disabled == ["phq9-item9"]


def test_a_program_that_keeps_the_defaults_says_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    program(tmp_path, "[alerts]\n")

    assert not [r for r in caplog.records if getattr(r, "code", None) == "ALERT_RULES_CHANGED"]


@pytest.mark.parametrize("rule_id", sorted(r.id for r in DEFAULT_ALERT_RULES.rules))
def test_every_row_s_severity_may_be_set(tmp_path: Path, rule_id: str) -> None:
    """A program sets any row's severity: screen-prescribed-depressant-on-agonist's logic was
    missing from what a program may change, and a file setting it stopped the start with a
    KeyError traceback, not a refusal naming the key nor the change."""
    text = f"[alerts]\n{SIGNED}[alerts.rules.{rule_id}]\nseverity = 'low'\n"
    row = program(tmp_path, text).rule(rule_id)
    assert row is not None
    assert (row.severity, row.version.split("+")[1][:8]) == (Severity.LOW, "program:")
