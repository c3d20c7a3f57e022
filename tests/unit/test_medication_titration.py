"""In a course's first 14 days methadone is raised by 10 mg at most, 3 days or more after the
last increase (SAMHSA TIP 63), unless the prescriber acknowledged rule methadone-titration with
a reason, recorded as an override."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest
from medication_story import Story, day

from carecoord.events import Schedule
from carecoord.events.medication import OverrideAcknowledged
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.titration import TITRATION

WHY = "withdrawal by afternoon at 30 mg, no sedation"


def started(dose: str = "30", schedule: Schedule | None = None) -> tuple[Story, UUID]:
    """A client given their first methadone dose on day 1."""
    story = Story()
    order = story.prescribe("methadone", dose, start=day(1), schedule=schedule, induction=None)
    story.dose(order, day(1), dose if schedule is None else str(Decimal(dose) / 2))
    return story, order


def refused(story: Story, order: UUID, dose: str, on: int) -> RuleViolation:
    before = len(story.record.pending)
    with pytest.raises(RuleViolation) as refusal:
        story.change(order, dose, day(on), induction=None)
    assert len(story.record.pending) == before, "nothing recorded on a refusal"
    assert refusal.value.rule == TITRATION
    return refusal.value


def test_10_mg_on_day_4_is_within_the_limit() -> None:
    story, order = started()
    story.on(day(2))
    story.change(order, "40", day(4), induction=None)
    assert story.events(OverrideAcknowledged) == []


def test_more_than_10_mg_is_refused_naming_the_dose() -> None:
    story, order = started()
    story.on(day(2))
    refusal = refused(story, order, "45", 4)
    assert refusal.field == "dose"
    assert "raises the dose in force (30 mg) by 15 mg on day 4" in refusal.message
    assert "an increase is at most 10 mg, 3 days or more after the last" in refusal.message
    assert "SAMHSA TIP 63" in refusal.message


def test_the_dose_in_force_is_quoted_as_its_number() -> None:
    """An order written "30.000000000000" was quoted "(30.000000000000 mg) by
    15.000000000000 mg"."""
    story, order = started("30.000000000000")
    story.on(day(2))
    refusal = refused(story, order, "45", 4)
    assert "raises the dose in force (30 mg) by 15 mg on day 4" in refusal.message


def test_split_doses_are_judged_on_the_days_total() -> None:
    story, order = started(schedule=Schedule(times_per_day=2))
    story.on(day(2))
    assert refused(story, order, "45", 4).field == "dose"  # 7.5 mg more a dose, 15 a day
    story.change(order, "40", day(4), induction=None)


def test_an_increase_sooner_than_3_days_after_the_last_is_refused_naming_the_start() -> None:
    story, order = started()
    story.on(day(2))
    refusal = refused(story, order, "35", 3)  # the first dose counts as the first increase
    assert refusal.field == "start"
    assert refusal.details == {"lastIncrease": "2026-01-01", "nextAllowed": "2026-01-04"}
    assert "the last increase was on 2026-01-01 (the first dose)" in refusal.message

    raised = story.change(order, "40", day(4), induction=None)  # written ahead
    refusal = refused(story, raised, "45", 6)
    assert (refusal.field, refusal.details) == (
        "start",
        {"lastIncrease": "2026-01-04", "nextAllowed": "2026-01-07"},
    )
    story.change(raised, "45", day(7), induction=None)


def test_a_change_of_a_raise_written_ahead_is_judged_on_the_dose_before_it() -> None:
    """40 mg written on day 2 from day 4, then changed to 50 mg from day 4 too: the client goes
    from 30 to 50 mg in a day. It was judged over the 40 mg never given and recorded nothing."""
    story, order = started()
    story.on(day(2))
    ahead = story.change(order, "40", day(4), induction=None)
    refusal = refused(story, ahead, "50", 4)
    assert refusal.field == "dose"
    assert "raises the dose in force (30 mg) by 20 mg on day 4" in refusal.message
    story.change(ahead, "38", day(4), induction=None)
    assert story.events(OverrideAcknowledged) == []


def test_an_acknowledged_increase_is_recorded_as_an_override() -> None:
    story, order = started()
    story.on(day(2))
    raised = story.change(order, "50", day(2), ack={TITRATION: WHY}, induction=None)

    [override] = story.events(OverrideAcknowledged)
    assert (override.rule_id, override.rule_version, override.reason) == (TITRATION, "1", WHY)
    assert (override.order_id, override.attempted.dose, override.attempted.start) == (
        raised,
        Decimal(50),
        day(2),
    )


def test_a_decrease_is_never_limited() -> None:
    story, order = started("50", None)
    story.on(day(2))
    lowered = story.change(order, "40", day(2), induction=None)
    story.change(lowered, "30", day(3), induction=None)
    assert story.events(OverrideAcknowledged) == []


def test_after_day_14_an_increase_is_not_limited() -> None:
    story, order = started()
    story.on(day(2))
    assert refused(story, order, "60", 14).field == "dose"
    story.change(order, "60", day(15), induction=None)
    assert story.events(OverrideAcknowledged) == []


def test_a_taper_step_up_is_judged_on_the_step_before_it() -> None:
    story, order = started()
    story.on(day(2))
    with pytest.raises(RuleViolation) as refusal:
        story.taper(order, [(day(4), "40"), (day(5), "45")], induction=None)
    assert (refusal.value.field, refusal.value.rule) == ("steps.1.start", TITRATION)
    assert "the last increase was on 2026-01-04" in refusal.value.message
    story.taper(order, [(day(4), "40"), (day(6), "50")], induction=None, ack={TITRATION: WHY})
    [override] = story.events(OverrideAcknowledged)
    assert (override.attempted.dose, override.attempted.start) == (Decimal(50), day(6))


def test_a_new_order_after_a_stop_is_judged_on_the_courses_last_dose() -> None:
    story, order = started()
    story.on(day(2), 12)
    story.discontinue(order)
    with pytest.raises(RuleViolation) as refusal:
        story.prescribe("methadone", "60", start=day(3), induction=None)
    assert (refusal.value.field, refusal.value.rule) == ("dose", TITRATION)
    assert "raises the dose in force (30 mg) by 30 mg on day 3" in refusal.value.message
    story.prescribe("methadone", "30", start=day(3), induction=None)
    assert story.events(OverrideAcknowledged) == []


def test_a_restart_after_a_gap_restarts_the_window() -> None:
    story, order = started()
    story.on(day(4))
    raised = story.change(order, "40", day(4), induction=None)
    story.dose(raised, day(4), "40")
    story.on(day(10))  # 5 days without methadone: a new induction
    story.dose(raised, day(10), "40")
    story.on(day(11))
    assert refused(story, raised, "45", 11).details == {
        "lastIncrease": "2026-01-10",
        "nextAllowed": "2026-01-13",
    }
    assert refused(story, raised, "60", 16).field == "dose"  # day 7 of the new course
    story.change(raised, "60", day(24), induction=None)  # its day 15
