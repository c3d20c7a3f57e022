"""An item given twice in one input is refused naming the second's place, with the rule and
message of the input it was given in; the same check serves every such input."""

from __future__ import annotations

import pytest
from alert_story import NURSE, Story

from carecoord.events.checkins import AnalyteFinding, AnalyteResult, ScreenMethod
from carecoord.services.checkins import commands as checkins
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.given_once import given_once


def test_the_first_key_given_again_is_refused_naming_its_place() -> None:
    with pytest.raises(InvalidInput) as refused:
        given_once(["a", "b", "c", "b", "a"], "items", "id", "item-once", lambda k: f"{k} again")

    assert (refused.value.field, refused.value.rule, refused.value.message) == (
        "items.3.id", "item-once", "b again",
    )  # fmt: skip


def test_distinct_keys_pass() -> None:
    given_once(["a", "b"], "items", "id", "item-once", lambda k: f"{k} again")


def test_an_analyte_reported_twice_under_two_spellings_is_refused_naming_the_second() -> None:
    story = Story()
    results = {
        name: AnalyteFinding(analyte=name, result=AnalyteResult.NEGATIVE)
        for name in ("opiates", "cocaine", "Opiates")
    }

    with pytest.raises(InvalidInput) as refused:
        story.next_day(
            checkins.record_drug_screen, NURSE, method=ScreenMethod.PRESUMPTIVE, results=results
        )

    assert (refused.value.field, refused.value.rule, refused.value.message) == (
        "results.2.analyte", "duplicate-analyte", "opiates is reported twice",
    )  # fmt: skip
