"""An order starts at most a year ahead or back (``start-within-horizon``), and a
statement's ``since`` is at most a year ahead (``since-within-horizon``): an order dated 2126
for 2026 was recorded in force, dosed nothing for a century and refused every order of its
medication meanwhile (``one-order-per-medication``); one dated 1901 was in force since then;
a statement "since 2091" counted as exposure only from then. A statement may say since
long ago."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from uuid import uuid4

import pytest
from medication_story import JAN, Story

from carecoord.events.medication import StatementSource
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.medication import statements
from carecoord.services.medication.horizon import HORIZON

AHEAD = JAN + HORIZON
"""The latest an order written on 1 January starts."""
BACK = JAN - HORIZON
"""The earliest an order written on 1 January (entered late) starts."""


def refusal(story: Story, step: Callable[[], object]) -> tuple[str, str]:
    before = len(story.record.pending)
    with pytest.raises(InvalidInput) as refused:
        step()
    assert len(story.record.pending) == before
    return refused.value.field, refused.value.rule


def test_an_order_starting_over_a_year_ahead_is_refused() -> None:
    story = Story()
    far = AHEAD + timedelta(days=1)
    assert refusal(story, lambda: story.prescribe(start=far)) == ("start", "start-within-horizon")
    story.prescribe(start=AHEAD)


def test_a_dose_change_or_taper_starting_over_a_year_ahead_is_refused() -> None:
    story = Story()
    order = story.prescribe()
    far = AHEAD + timedelta(days=1)
    assert refusal(story, lambda: story.change(order, "50", far)) == (
        "start",
        "start-within-horizon",
    )
    assert refusal(story, lambda: story.taper(order, [(far, "50")])) == (
        "steps.0.start",
        "start-within-horizon",
    )


def test_an_order_starting_over_a_year_back_is_refused() -> None:
    story = Story()
    for long_ago in (BACK - timedelta(days=1), date(1901, 1, 1)):
        refused = refusal(story, partial(story.prescribe, start=long_ago))
        assert refused == ("start", "start-within-horizon")
    story.prescribe(start=BACK)


def test_a_dose_change_or_taper_starting_over_a_year_back_is_refused() -> None:
    story = Story()
    order = story.prescribe(start=BACK)
    long_ago = BACK - timedelta(days=1)
    assert refusal(story, lambda: story.change(order, "50", long_ago)) == (
        "start",
        "start-within-horizon",
    )
    assert refusal(story, lambda: story.taper(order, [(long_ago, "50")])) == (
        "steps.0.start",
        "start-within-horizon",
    )


def test_a_statement_taken_since_over_a_year_ahead_is_refused() -> None:
    story = Story()

    def stated(since: date) -> object:
        given = statements.Statement("methadone", StatementSource.CLIENT, since=since)
        return statements.record_statement(story.record, story.stamp(), story.rules, uuid4(), given)

    far = AHEAD + timedelta(days=1)
    assert refusal(story, lambda: stated(far)) == ("since", "since-within-horizon")
    stated(AHEAD)
    stated(date(2015, 3, 1))  # long before: a client on a medication for years says so
