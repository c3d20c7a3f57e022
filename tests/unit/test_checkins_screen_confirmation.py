"""A definitive result of a presumptive screen's specimen replaces its result for the
analytes it reports: a presumptive opiates positive the lab found no opioid in blocked
naltrexone for a week, as nothing could say the lab had tested it again."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from alert_story import NURSE, Story

from carecoord.events.checkins import (
    AnalyteFinding,
    AnalyteResult,
    DrugScreenResulted,
    ScreenMethod,
)
from carecoord.services.checkins import commands as checkins
from carecoord.services.checkins.record import CheckInRecord
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation


def confirm(story: Story, confirms: UUID, **results: str) -> UUID:
    """The lab's result a day later, of the specimen of the screen ``confirms`` names."""
    findings = {a: AnalyteFinding(analyte=a, result=AnalyteResult(r)) for a, r in results.items()}
    return story.next_day(
        checkins.record_drug_screen, NURSE, method=ScreenMethod.DEFINITIVE, results=findings,
        confirms=confirms,
    )  # fmt: skip


def analytes(story: Story) -> list[frozenset[str]]:
    """What the medication rules read as found, screen by screen."""
    found = story.touched[aggregate_id(CheckInRecord.context, story.client_id)]
    assert isinstance(found, CheckInRecord)
    return [s.analytes for s in found.positive_screens]


def screens(story: Story) -> list[DrugScreenResulted]:
    return [e for e in story.events() if isinstance(e, DrugScreenResulted)]


def in_error(story: Story, entry_id: UUID) -> None:
    story.later(hours=1)
    story.run(
        checkins.mark_entered_in_error(
            story.stamp(NURSE),
            client_id=story.client_id,
            entry_id=entry_id,
            reason="wrong",
            rules=story.rules,
        )
    )


def test_a_definitive_negative_replaces_the_presumptive_opiates_positive() -> None:
    story = Story()
    presumptive = story.screen(opiates="positive", cannabinoids="positive")
    assert analytes(story) == [{"opiates", "cannabinoids"}]

    confirm(story, presumptive, morphine="negative", codeine="negative")

    assert analytes(story) == [{"cannabinoids"}], "the lab did not test cannabinoids again"
    first, definitive = screens(story)
    assert definitive.confirms == first.screen_id
    assert definitive.occurred_at == first.occurred_at, "one specimen, one collection"


def test_what_the_lab_found_stands_in_place_of_the_presumptive_result() -> None:
    story = Story()
    presumptive = story.screen(opiates="positive")

    confirm(story, presumptive, **{"6-mam": "positive", "morphine": "positive"})

    assert analytes(story) == [{"6-mam", "morphine"}]


def test_a_confirmation_in_error_gives_the_presumptive_result_back() -> None:
    story = Story()
    presumptive = story.screen(fentanyl="positive")
    definitive = confirm(story, presumptive, fentanyl="negative", norfentanyl="negative")
    assert analytes(story) == []

    in_error(story, definitive)

    assert analytes(story) == [{"fentanyl"}]
    confirm(story, presumptive, fentanyl="negative")
    assert analytes(story) == []


def test_a_confirmation_is_refused_naming_what_it_may_confirm() -> None:
    story = Story()
    presumptive = story.screen(opiates="positive")
    collected = screens(story)[0].occurred_at

    def refused(
        confirms: UUID,
        method: ScreenMethod = ScreenMethod.DEFINITIVE,
        collected_at: datetime | None = None,
    ) -> tuple[str, str]:
        findings = {"morphine": AnalyteFinding(analyte="morphine", result=AnalyteResult.NEGATIVE)}
        with pytest.raises((InvalidInput, NotFound, RuleViolation)) as error:
            story.next_day(
                checkins.record_drug_screen, NURSE, method=method, results=findings,
                occurred_at=collected_at, confirms=confirms,
            )  # fmt: skip
        return error.value.field, error.value.rule

    assert refused(presumptive, method=ScreenMethod.PRESUMPTIVE) == (
        "confirms",
        "definitive-confirms",
    )
    assert refused(uuid4()) == ("confirms", "unknown-screen")
    assert refused(presumptive, collected_at=collected + timedelta(hours=2)) == (
        "collectedAt",
        "same-specimen",
    )
    definitive = confirm(story, presumptive, morphine="negative")
    assert refused(presumptive) == ("confirms", "already-confirmed")
    assert refused(definitive) == ("confirms", "confirms-presumptive")
    typed = story.screen(opiates="positive")
    in_error(story, typed)
    assert refused(typed) == ("confirms", "screen-in-error")
    assert len(screens(story)) == 3, "a refused confirmation records nothing"
