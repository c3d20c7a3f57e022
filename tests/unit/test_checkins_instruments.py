"""Instrument scoring against worked examples and at every band boundary (domain.md section 2)."""

from __future__ import annotations

import pytest
from alert_story import answers_totalling

from carecoord.events.checkins import Instrument
from carecoord.services.checkins.instruments import INSTRUMENTS, score
from carecoord.services.kernel.errors import InvalidInput


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
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[Instrument.CIWA_AR], answers | {"seizure": 2})
    assert (refused.value.field, refused.value.rule) == ("answers.seizure", "answer-out-of-range")
    assert "accepts 0, 1" in refused.value.message


def test_bam_scores_its_three_subscales_and_no_total() -> None:
    answers = {str(n): 0 for n in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16)}
    answers |= {"1": 3, "2": 10, "3": 5, "4": 2, "6": 1, "8": 4, "9": 25, "10": 8, "11": 2}
    answers |= {"12": 4, "13": 20, "14": 30, "15": 1, "16": 26, "17": 3}
    result = score(INSTRUMENTS[Instrument.BAM], answers)
    assert result.total is None
    assert result.subscales == {"use": 3, "risk": 25, "protective": 113}
    assert result.band == "use reported"


def test_bam_without_use_reads_no_use() -> None:
    answers = {str(n): 0 for n in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16)}
    answers["9"] = 30
    result = score(INSTRUMENTS[Instrument.BAM], answers)
    assert (result.band, result.subscales["protective"]) == ("no use reported", 30)


def test_bam_maxima_are_90_180_180() -> None:
    answers = answers_totalling(Instrument.BAM, 0)
    result = score(INSTRUMENTS[Instrument.BAM], dict.fromkeys(answers, 30))
    assert result.subscales == {"use": 90, "risk": 180, "protective": 180}


@pytest.mark.parametrize(
    ("instrument", "item", "value", "rule"),
    [
        (Instrument.PHQ9, "9", 4, "answer-out-of-range"),
        (Instrument.PHQ9, "3", -1, "answer-out-of-range"),
        (Instrument.GAD7, "8", 1, "unknown-item"),
        (Instrument.COWS, "restlessness", 2, "answer-out-of-range"),
        (Instrument.COWS, "gooseflesh", 1, "answer-out-of-range"),
        (Instrument.CIWA_AR, "orientation", 5, "answer-out-of-range"),
        (Instrument.CIWA_AR, "tremor", 8, "answer-out-of-range"),
        (Instrument.BAM, "7", 1, "unknown-item"),
        (Instrument.BAM, "4", 31, "answer-out-of-range"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_item(
    instrument: Instrument, item: str, value: int, rule: str
) -> None:
    answers = answers_totalling(instrument, 0) | {item: value}
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[instrument], answers)
    known = INSTRUMENTS[instrument].item(item) is not None
    field = f"answers.{item}" if known else f"answers.{list(answers).index(item)}.item"
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
def test_an_incomplete_instrument_is_refused_naming_the_first_missing_item(
    instrument: Instrument,
) -> None:
    answers = answers_totalling(instrument, 0)
    first, *_ = answers
    del answers[first]
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[instrument], answers)
    assert (refused.value.field, refused.value.rule) == (
        f"answers.{first}",
        "instrument-incomplete",
    )


def test_bam_days_of_heavy_drinking_are_no_more_than_days_of_drinking() -> None:
    """Item 5 counts days among item 4's: 20 heavy days in 2 drinking days is a typo, and
    scored it made a use subscale of 22."""
    answers = answers_totalling(Instrument.BAM, 0) | {"4": 2, "5": 20}
    with pytest.raises(InvalidInput) as refused:
        score(INSTRUMENTS[Instrument.BAM], answers)
    assert (refused.value.field, refused.value.rule) == ("answers.5", "answer-above-item")
    assert score(INSTRUMENTS[Instrument.BAM], answers | {"5": 2}).subscales["use"] == 4
