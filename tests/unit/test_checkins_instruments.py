"""Instrument scoring against worked examples and at every band boundary (domain.md section 2)."""

from __future__ import annotations

import pytest
from alert_story import answers_totalling

from carecoord.events.checkins import Instrument
from carecoord.services.checkins.instruments import INSTRUMENTS, score
from carecoord.services.kernel.errors import InvalidInput


def place(answers: dict[str, int], item: str) -> str:
    """The field a refused answer to ``item`` is named by: its place among ``answers``."""
    return f"answers.{list(answers).index(item)}.value"


def scored(instrument: Instrument, answers: dict[str, int]) -> tuple[int | None, str]:
    result = score(INSTRUMENTS[instrument], answers)
    return result.total, result.band


@pytest.mark.parametrize(
    ("instrument", "total", "band"),
    [
        (Instrument.PHQ9, 0, "minimal"),
        (Instrument.PHQ9, 4, "minimal"),
        (Instrument.PHQ9, 5, "mild"),
        (Instrument.PHQ9, 9, "mild"),
        (Instrument.PHQ9, 10, "moderate"),
        (Instrument.PHQ9, 14, "moderate"),
        (Instrument.PHQ9, 15, "moderately severe"),
        (Instrument.PHQ9, 19, "moderately severe"),
        (Instrument.PHQ9, 20, "severe"),
        (Instrument.PHQ9, 27, "severe"),
        (Instrument.GAD7, 4, "minimal"),
        (Instrument.GAD7, 5, "mild"),
        (Instrument.GAD7, 9, "mild"),
        (Instrument.GAD7, 10, "moderate"),
        (Instrument.GAD7, 14, "moderate"),
        (Instrument.GAD7, 15, "severe"),
        (Instrument.GAD7, 21, "severe"),
        (Instrument.COWS, 4, "no clinically relevant withdrawal"),
        (Instrument.COWS, 5, "mild"),
        (Instrument.COWS, 12, "mild"),
        (Instrument.COWS, 13, "moderate"),
        (Instrument.COWS, 24, "moderate"),
        (Instrument.COWS, 25, "moderately severe"),
        (Instrument.COWS, 36, "moderately severe"),
        (Instrument.COWS, 37, "severe"),
        (Instrument.COWS, 48, "severe"),
        (Instrument.CIWA_AR, 9, "mild"),
        (Instrument.CIWA_AR, 10, "moderate"),
        (Instrument.CIWA_AR, 18, "moderate"),
        (Instrument.CIWA_AR, 19, "severe"),
        (Instrument.CIWA_AR, 67, "complicated"),  # the maximum needs hallucinations
        (Instrument.AUDIT, 0, "zone I: low risk"),
        (Instrument.AUDIT, 7, "zone I: low risk"),
        (Instrument.AUDIT, 8, "zone II: hazardous"),
        (Instrument.AUDIT, 15, "zone II: hazardous"),
        (Instrument.AUDIT, 16, "zone III: harmful"),
        (Instrument.AUDIT, 19, "zone III: harmful"),
        (Instrument.AUDIT, 20, "zone IV: possible dependence"),
        (Instrument.AUDIT, 40, "zone IV: possible dependence"),
        (Instrument.DAST10, 0, "none"),
        (Instrument.DAST10, 1, "low"),
        (Instrument.DAST10, 2, "low"),
        (Instrument.DAST10, 3, "moderate"),
        (Instrument.DAST10, 5, "moderate"),
        (Instrument.DAST10, 6, "substantial"),
        (Instrument.DAST10, 8, "substantial"),
        (Instrument.DAST10, 9, "severe"),
        (Instrument.DAST10, 10, "severe"),
    ],
)
def test_bands_at_each_boundary(instrument: Instrument, total: int, band: str) -> None:
    assert scored(instrument, answers_totalling(instrument, total)) == (total, band)


def test_phq9_worked_example_and_unscored_difficulty_item() -> None:
    answers = {"1": 2, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 2, "8": 0, "9": 1, "10": 3}
    assert scored(Instrument.PHQ9, answers) == (12, "moderate")


def test_cows_worked_example() -> None:
    # Pulse 104 (2), mild sweats (1), restless (1), pupils larger (1), aches (1), runny nose
    # (1), loose stools (2), tremor felt (1), yawning (1), irritable (2), no gooseflesh (0).
    answers = {
        "resting_pulse": 2, "sweating": 1, "restlessness": 1, "pupil_size": 1,
        "bone_joint_aches": 1, "runny_nose_tearing": 1, "gi_upset": 2, "tremor": 1,
        "yawning": 1, "anxiety_irritability": 2, "gooseflesh": 0,
    }  # fmt: skip
    assert scored(Instrument.COWS, answers) == (13, "moderate")


def test_ciwa_worked_example() -> None:
    answers = {
        "nausea_vomiting": 2, "tremor": 3, "paroxysmal_sweats": 1, "anxiety": 3,
        "agitation": 2, "tactile_disturbances": 0, "auditory_disturbances": 0,
        "visual_disturbances": 1, "headache": 1, "orientation": 1,
    }  # fmt: skip
    assert scored(Instrument.CIWA_AR, answers) == (14, "moderate")


@pytest.mark.parametrize(
    ("items", "signs"),
    [
        ({}, ()),
        ({"seizure": 0}, ()),
        ({"seizure": 1}, ("seizure",)),
        ({"tactile_disturbances": 3, "auditory_disturbances": 3}, ()),
        ({"tactile_disturbances": 4}, ("tactile hallucinations",)),
        ({"auditory_disturbances": 4}, ("auditory hallucinations",)),
        ({"visual_disturbances": 7}, ("visual hallucinations",)),
        ({"orientation": 3}, ()),
        ({"orientation": 4}, ("disoriented to place or person",)),
    ],
)
def test_ciwa_signs_show_whatever_the_total(items: dict[str, int], signs: tuple[str, ...]) -> None:
    answers = answers_totalling(Instrument.CIWA_AR, 0) | items
    assert score(INSTRUMENTS[Instrument.CIWA_AR], answers).signs == signs


@pytest.mark.parametrize(
    ("total", "items", "band"),
    [
        (18, {"seizure": 1}, "moderate"),
        (19, {}, "severe"),
        (19, {"seizure": 1}, "complicated"),
        (19, {"visual_disturbances": 4}, "complicated"),
        (22, {"orientation": 4}, "complicated"),
    ],
)
def test_ciwa_severe_with_a_sign_is_complicated(
    total: int, items: dict[str, int], band: str
) -> None:
    scored_items = {k: v for k, v in items.items() if k != "seizure"}
    answers = answers_totalling(Instrument.CIWA_AR, total - sum(scored_items.values())) | items
    assert scored(Instrument.CIWA_AR, answers) == (total, band)


def test_the_seizure_question_is_unscored_and_yes_or_no() -> None:
    answers = answers_totalling(Instrument.CIWA_AR, 12)
    assert scored(Instrument.CIWA_AR, answers | {"seizure": 1})[0] == 12
    given = answers | {"seizure": 2}
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[Instrument.CIWA_AR], given)
    refusal = (refused.value.field, refused.value.rule)
    assert refusal == (place(given, "seizure"), "answer-out-of-range")
    assert "accepts 0, 1" in refused.value.message


def test_bam_scores_its_three_subscales_and_no_total() -> None:
    # Health fair (3), 10 nights poor sleep, 5 upset days, 2 drinking days, 1 drug day,
    # cravings extreme (4), confident considerably (3), 8 meetings, 2 risky days, spirituality
    # extremely (4), 20 days at work, income enough (1), conflict slight (1), 26 supportive days.
    answers = {str(n): 0 for n in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16)}
    answers |= {"1": 3, "2": 10, "3": 5, "4": 2, "6": 1, "8": 4, "9": 3, "10": 8, "11": 2}
    answers |= {"12": 4, "13": 20, "14": 1, "15": 1, "16": 26, "17": 3}
    result = score(INSTRUMENTS[Instrument.BAM], answers)
    assert result.total is None
    assert result.subscales == {"use": 3, "risk": 25, "protective": 62}
    assert result.band == "use reported"


def test_bam_without_use_reads_no_use() -> None:
    answers = {str(n): 0 for n in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16)}
    answers["16"] = 30
    result = score(INSTRUMENTS[Instrument.BAM], answers)
    assert (result.band, result.subscales["protective"]) == ("no use reported", 30)


def test_bam_maxima_are_those_of_its_item_scales() -> None:
    """Days items to 30, ratings to 4, income no or yes: risk (three days items, three
    ratings) to 102, protective (three days items, two ratings, income) to 99."""
    spec = INSTRUMENTS[Instrument.BAM]
    result = score(spec, {i.id: max(i.allowed) for i in spec.items})
    assert result.subscales == {"use": 90, "risk": 102, "protective": 99}


@pytest.mark.parametrize(
    ("item", "highest"),
    [("1", 4), ("2", 30), ("8", 4), ("9", 4), ("12", 4), ("14", 1), ("15", 4), ("17", 4)],
)
def test_bam_items_take_the_scale_the_form_gives_them(item: str, highest: int) -> None:
    """Physical health, cravings, confidence, spirituality, conflict and satisfaction are
    rated 0 to 4, income no or yes: a count of days there (25 for confidence) is refused."""
    spec = INSTRUMENTS[Instrument.BAM]
    answers = answers_totalling(Instrument.BAM, 0)
    assert score(spec, answers | {item: highest}).answers[item] == highest
    above = answers | {item: highest + 1}
    with pytest.raises(InvalidInput) as refused:
        score(spec, above)
    assert (refused.value.field, refused.value.rule) == (place(above, item), "answer-out-of-range")


def test_audit_items_9_and_10_are_scored_0_2_or_4() -> None:
    spec = INSTRUMENTS[Instrument.AUDIT]
    answers = answers_totalling(Instrument.AUDIT, 0)
    assert score(spec, answers | {"9": 2, "10": 4}).total == 6
    with pytest.raises(InvalidInput) as refused:
        score(spec, answers | {"10": 3})
    assert (refused.value.field, refused.value.rule) == ("answers.9.value", "answer-out-of-range")
    assert "accepts 0, 2, 4" in refused.value.message


def test_audit_worked_example() -> None:
    # Weekly drinking (3), 5-6 drinks (2), six or more monthly (2), unable to stop less than
    # monthly (1), failed expectations never (0), morning drink never (0), guilt monthly (2),
    # blackout less than monthly (1), no injury (0), concern not in the last year (2).
    answers = {"1": 3, "2": 2, "3": 2, "4": 1, "5": 0, "6": 0, "7": 2, "8": 1, "9": 0, "10": 2}
    assert scored(Instrument.AUDIT, answers) == (13, "zone II: hazardous")


def test_dast10_item_3_is_reverse_scored() -> None:
    """Always able to stop (item 3 yes) scores nothing; not able scores 1."""
    no_to_all = dict.fromkeys(map(str, range(1, 11)), 0)
    assert scored(Instrument.DAST10, no_to_all) == (1, "low")
    assert scored(Instrument.DAST10, no_to_all | {"3": 1}) == (0, "none")
    yes_to_all = dict.fromkeys(map(str, range(1, 11)), 1)
    assert scored(Instrument.DAST10, yes_to_all) == (9, "severe")
    assert scored(Instrument.DAST10, yes_to_all | {"3": 0}) == (10, "severe")
    result = score(INSTRUMENTS[Instrument.DAST10], no_to_all)
    assert result.answers["3"] == 0  # the answer as given; only its points are reversed


def test_gad7_difficulty_item_is_carried_but_not_scored() -> None:
    answers = answers_totalling(Instrument.GAD7, 11)
    result = score(INSTRUMENTS[Instrument.GAD7], answers | {"8": 2})
    assert (result.total, result.band, result.answers["8"]) == (11, "moderate", 2)
    assert INSTRUMENTS[Instrument.GAD7].meaning("8", 2) == "very difficult"
    assert score(INSTRUMENTS[Instrument.GAD7], answers).total == 11


PHQ9_EXAMPLE = {"1": 2, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 2, "8": 0, "9": 1}
"""The worked example above without its difficulty item: 12, moderate."""


@pytest.mark.parametrize(
    ("left_out", "total"),
    [
        (("9",), 12),  # 11 over eight items: 11 * 9 / 8 = 12.4
        (("6", "8"), 14),  # 11 over seven: 11 * 9 / 7 = 14.1
        (("1", "2"), 10),  # 8 over seven: 8 * 9 / 7 = 10.3
    ],
)
def test_phq9_with_one_or_two_items_unanswered_is_prorated(
    left_out: tuple[str, ...], total: int
) -> None:
    given = {k: v for k, v in PHQ9_EXAMPLE.items() if k not in left_out}
    result = score(INSTRUMENTS[Instrument.PHQ9], given)
    assert (result.total, result.band, result.unanswered) == (total, "moderate", left_out)


def test_a_prorated_half_rounds_up() -> None:
    """4 points over eight items read 4.5 of nine: 5 (mild), not 4 (minimal)."""
    given = {str(n): 0 for n in range(1, 9)} | {"1": 2, "2": 2}
    result = score(INSTRUMENTS[Instrument.PHQ9], given)
    assert (result.total, result.band, result.unanswered) == (5, "mild", ("9",))


def test_phq9_with_three_unanswered_is_refused_naming_them() -> None:
    answers = answers_totalling(Instrument.PHQ9, 6)
    for item in ("2", "5", "9"):
        del answers[item]
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[Instrument.PHQ9], answers)
    assert (refused.value.field, refused.value.rule) == ("answers", "instrument-incomplete")
    assert "item(s) 2, 5, 9" in refused.value.message
    assert "at most 2 unanswered" in refused.value.message


def test_a_complete_phq9_is_not_prorated() -> None:
    result = score(INSTRUMENTS[Instrument.PHQ9], answers_totalling(Instrument.PHQ9, 14))
    assert (result.total, result.unanswered) == (14, ())


@pytest.mark.parametrize(
    ("instrument", "item", "value", "rule"),
    [
        (Instrument.PHQ9, "9", 4, "answer-out-of-range"),
        (Instrument.PHQ9, "3", -1, "answer-out-of-range"),
        (Instrument.GAD7, "8", 4, "answer-out-of-range"),
        (Instrument.GAD7, "9", 1, "unknown-item"),
        (Instrument.COWS, "restlessness", 2, "answer-out-of-range"),
        (Instrument.COWS, "gooseflesh", 1, "answer-out-of-range"),
        (Instrument.CIWA_AR, "orientation", 5, "answer-out-of-range"),
        (Instrument.CIWA_AR, "tremor", 8, "answer-out-of-range"),
        (Instrument.BAM, "7", 1, "unknown-item"),
        (Instrument.BAM, "4", 31, "answer-out-of-range"),
        (Instrument.AUDIT, "11", 0, "unknown-item"),
        (Instrument.AUDIT, "3", 5, "answer-out-of-range"),
        (Instrument.DAST10, "3", 2, "answer-out-of-range"),
        (Instrument.DAST10, "0", 1, "unknown-item"),
    ],
)
def test_a_bad_answer_is_refused_naming_its_place_and_the_item(
    instrument: Instrument, item: str, value: int, rule: str
) -> None:
    answers = answers_totalling(instrument, 0) | {item: value}
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[instrument], answers)
    known = INSTRUMENTS[instrument].item(item) is not None
    field = place(answers, item) if known else f"answers.{list(answers).index(item)}.item"
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert item in refused.value.message


@pytest.mark.parametrize("item", ["I used heroin on Tuesday", "9" * 4000])
def test_an_unknown_item_is_named_by_its_place_not_by_what_the_caller_wrote(item: str) -> None:
    """The field is logged with the refusal: text sent as an item id must not reach the log,
    nor come back whole in the message."""
    answers = {item: 0} | answers_totalling(Instrument.PHQ9, 0)
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[Instrument.PHQ9], answers)
    assert (refused.value.field, refused.value.rule) == ("answers.0.item", "unknown-item")
    assert len(refused.value.message) < 200


@pytest.mark.parametrize("instrument", list(Instrument))
def test_an_incomplete_instrument_is_refused_naming_the_missing_items(
    instrument: Instrument,
) -> None:
    """Missing more items than it is prorated over (PHQ-9: two; the others none): they have
    no place among the answers, so the refusal names the answers and its message them."""
    answers = answers_totalling(instrument, 0)
    first, *_ = answers
    for item in list(answers)[: INSTRUMENTS[instrument].prorated_up_to + 1]:
        del answers[item]
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[instrument], answers)
    assert (refused.value.field, refused.value.rule) == ("answers", "instrument-incomplete")
    assert f"answer item(s) {first}" in refused.value.message


def test_bam_days_of_heavy_drinking_are_no_more_than_days_of_drinking() -> None:
    """Item 5 counts days among item 4's: 20 heavy days in 2 drinking days is a typo, and
    scored it made a use subscale of 22."""
    answers = answers_totalling(Instrument.BAM, 0) | {"4": 2, "5": 20}
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[Instrument.BAM], answers)
    assert (refused.value.field, refused.value.rule) == (place(answers, "5"), "answer-above-item")
    assert score(INSTRUMENTS[Instrument.BAM], answers | {"5": 2}).subscales["use"] == 4
