"""A monthly extended-release injection is given in a window, not only on its exact due day:
from the label's shortest interval after the last injection actually given (buprenorphine
extended-release: at least 26 days; XR-naltrexone every 4 weeks, a few days early), and any
day late, its due day then read as missed. The next one is due an interval after the one
given, so an early or late injection moves the cycle. A dose not given is recorded any day of
that window, as the dose could have been given then."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from medication_story import NURSE, Story, at, day
from pydantic import ValidationError

from carecoord.events import Schedule
from carecoord.events.medication import DoseMissed, DoseNotGiven, NotGivenReason
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import NotGiven
from carecoord.services.medication.program import FormularyEntry

MONTHLY = Schedule(every_days=28)


def sublocade(story: Story, dose: str = "300") -> UUID:
    return story.prescribe("buprenorphine-xr", dose, route="subcutaneous", schedule=MONTHLY)


def inject(story: Story, order: UUID, n: int, dose: str = "300") -> UUID:
    story.on(day(n), 8)
    return story.dose(order, day(n), dose, form="injection")


def not_given(story: Story, order: UUID, n: int) -> None:
    story.on(day(n), 10)
    declined = NotGiven(order, NotGivenReason.DECLINED, occurred_at=at(day(n), 9))
    dispensing.not_given(story.record, story.stamp(NURSE), story.rules, declined)


def missed(story: Story, today: int) -> list[int]:
    dispensing.record_missed(story.record, story.stamp(NURSE), story.rules, day(today))
    return [(m.day - day(1)).days + 1 for m in story.events(DoseMissed)]


def test_an_injection_before_the_shortest_interval_is_refused_naming_the_earliest_day() -> None:
    story = Story()
    order = sublocade(story)
    inject(story, order, 1)
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        inject(story, order, 26)  # 25 days after

    assert (refused.value.field, refused.value.rule) == ("givenAt", "injection-interval")
    assert f"given on {day(1)}" in refused.value.message
    assert f"from {day(27)}" in refused.value.message
    assert len(story.record.pending) == recorded
    inject(story, order, 27)  # 26 days after: the label's minimum


def test_xr_naltrexone_may_be_given_a_few_days_early() -> None:
    story = Story()
    order = story.prescribe("naltrexone-xr", "380", route="intramuscular", schedule=MONTHLY)
    inject(story, order, 1, "380")

    with pytest.raises(RuleViolation) as refused:
        inject(story, order, 24, "380")
    assert f"from {day(25)}" in refused.value.message
    inject(story, order, 25, "380")


def test_a_late_injection_is_given_its_due_day_read_as_missed_and_the_cycle_moves() -> None:
    story = Story()
    order = sublocade(story)
    inject(story, order, 1)

    assert missed(story, 31) == [29]  # due on day 29, not given by day 31
    inject(story, order, 31)
    with pytest.raises(RuleViolation) as refused:
        inject(story, order, 56)
    assert f"from {day(57)}" in refused.value.message
    inject(story, order, 57)  # early for the next due day, 59
    assert missed(story, 62) == [29]


def test_an_early_injection_is_no_missed_day_and_the_next_is_due_an_interval_after_it() -> None:
    story = Story()
    order = sublocade(story)
    inject(story, order, 1)
    inject(story, order, 27)

    assert missed(story, 55) == []
    assert missed(story, 56) == [55]  # 28 days after day 27, not day 57


def test_a_dose_not_given_is_recorded_any_day_of_the_window_and_refused_before_it() -> None:
    story = Story()
    order = sublocade(story)
    inject(story, order, 1)
    recorded = len(story.record.pending)

    with pytest.raises(RuleViolation) as refused:
        not_given(story, order, 20)

    assert (refused.value.field, refused.value.rule) == ("occurredAt", "injection-interval")
    assert f"given on {day(1)}" in refused.value.message
    assert f"from {day(27)}" in refused.value.message
    assert len(story.record.pending) == recorded
    for n in (27, 29, 31):  # early, on its due day, late
        not_given(story, order, n)
    inject(story, order, 32)
    assert [e.day for e in story.events(DoseNotGiven)] == [day(27), day(29), day(31)]


def test_the_interval_runs_on_across_a_dose_change() -> None:
    story = Story()
    first = sublocade(story)
    inject(story, first, 1)
    story.on(day(2))
    maintenance = story.change(first, "100", day(25))

    with pytest.raises(RuleViolation) as refused:
        inject(story, maintenance, 25, "100")
    assert f"given on {day(1)}" in refused.value.message
    inject(story, maintenance, 27, "100")


def test_an_injection_charted_later_for_an_earlier_day_keeps_the_interval_too() -> None:
    story = Story()
    order = sublocade(story)
    inject(story, order, 27)
    story.on(day(28))

    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(1) + timedelta(days=2), "300", form="injection")
    assert f"given on {day(27)}" in refused.value.message


def test_a_program_medication_keeps_its_early_days_under_its_interval() -> None:
    given = {"code": "risperidone-xr", "name": "Risperidone XR", "classes": ["antipsychotic"]}
    entry = FormularyEntry(**given, acts_days=14, early_days=3)
    assert entry.medication().early_days == 3
    with pytest.raises(ValidationError, match="early_days 14 must be under acts_days 14"):
        FormularyEntry(**given, acts_days=14, early_days=14)
