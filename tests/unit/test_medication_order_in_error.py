"""A dose change or taper marked entered in error puts the order it replaced back in force
from the correction on (``OrderReinstated``): the client is not left with no order at the
dosing window. Doses given under the cancelled order stay recorded as given; nothing is
edited in place. Where the earlier order could not be in force (it had ended, was itself in
error, or was replaced again since) nothing is reinstated."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from every_event import ADMIN, DOCTOR, Record
from medication_story import NURSE, Story, day

from carecoord.events import Actor, ClientEnrolled, Kind, Role, Schedule
from carecoord.events.medication import (
    DoseChanged,
    DoseMissed,
    InteractionFound,
    MedicationPrescribed,
    OrderEnteredInError,
    OrderHeld,
    OrderReinstated,
    TaperOrdered,
    TaperStep,
)
from carecoord.events.positioned import Positioned
from carecoord.projections.audit.access_as_of import AccessAsOf
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.orders import Status
from carecoord.services.medication.titration import TITRATION

RAISED = {TITRATION: "withdrawal not held at 60 mg"}
"""A raise in the first days of treatment, acknowledged (``titration.py``)."""


def test_a_dose_change_in_error_puts_the_order_it_replaced_back_in_force() -> None:
    story = Story()
    first = story.prescribe(dose="60")
    story.dose(first, day(1))
    story.on(day(3))
    change = story.change(first, "80", day(3), ack=RAISED)
    wrong = story.dose(change, day(3), "80")
    story.on(day(4))

    story.discontinue_in_error(change)

    [in_error] = story.events(OrderEnteredInError)
    [back] = story.events(OrderReinstated)
    assert in_error.order_id == change
    assert (back.order_id, back.in_error_order_id, back.start, back.end) == (
        first,
        change,
        day(4),
        None,
    )
    assert back.summary() == (
        f"Order back in force: methadone from 2026-01-04 (order {change} entered in error)"
    )
    earlier, cancelled = story.record.orders[first], story.record.orders[change]
    assert (earlier.status, earlier.replaced_by, earlier.end) == (Status.ACTIVE, None, None)
    assert earlier.current_on(day(4))
    assert earlier.status_on(day(4)) == "active"
    assert cancelled.status is Status.ENTERED_IN_ERROR
    assert cancelled.given[(day(3), 1)] == wrong  # given under it, and still recorded so
    assert story.dose(first, day(4), "60") in earlier.given.values()


def test_the_earlier_order_is_not_due_on_the_days_the_cancelled_one_covered() -> None:
    story = Story()
    first = story.prescribe(dose="60")
    story.dose(first, day(1))
    story.on(day(2))
    change = story.change(first, "80", day(2), ack=RAISED)
    story.dose(change, day(2), "80")
    story.on(day(5))

    story.discontinue_in_error(change)
    dispensing.record_missed(story.record, story.stamp(NURSE), story.rules, day(6))

    missed = [(m.order_id, m.day) for m in story.events(DoseMissed)]
    assert missed == [(first, day(5))]  # days 3 and 4 were the cancelled order's
    with pytest.raises(RuleViolation) as refused:
        story.dose(first, day(3), "60")
    assert (refused.value.field, refused.value.rule) == ("orderId", "order-active")
    assert f"not in force from {day(2)} to {day(4)}" in refused.value.message
    assert f"dosed again from {day(5)}" in refused.value.message


def test_a_dose_already_given_today_under_the_cancelled_order_starts_it_tomorrow() -> None:
    story = Story()
    first = story.prescribe(dose="60")
    story.on(day(3))
    change = story.change(first, "80", day(3))
    story.dose(change, day(3), "80")
    story.on(day(3), 11)

    story.discontinue_in_error(change)

    [back] = story.events(OrderReinstated)
    assert back.start == day(4)
    with pytest.raises(RuleViolation):
        story.dose(first, day(3), "60")  # the day's dose was given: no second one
    story.dose(first, day(4), "60")


def test_a_taper_in_error_gives_the_earlier_order_its_own_end_again() -> None:
    story = Story()
    first = story.prescribe(dose="60", end=day(60))
    story.on(day(10))
    taper = story.taper(first, [(day(10), "50"), (day(20), "40")])
    assert story.record.orders[first].end == day(9)

    story.discontinue_in_error(taper)

    [back] = story.events(OrderReinstated)
    assert (back.start, back.end) == (day(10), day(60))
    assert story.record.orders[first].end == day(60)
    assert story.record.orders[first].dose_on(day(30)) == Decimal(60)


def test_a_change_scheduled_ahead_in_error_leaves_the_earlier_order_running_on() -> None:
    story = Story()
    first = story.prescribe(dose="60")
    story.on(day(2))
    change = story.change(first, "80", day(9))

    story.discontinue_in_error(change)

    [back] = story.events(OrderReinstated)
    assert back.start == day(9)
    assert story.record.orders[first].gaps == []
    dispensing.record_missed(story.record, story.stamp(NURSE), story.rules, day(3))
    assert [m.day for m in story.events(DoseMissed)] == [day(1), day(2)]


def test_an_earlier_order_past_its_own_end_is_not_reinstated() -> None:
    story = Story()
    first = story.prescribe(dose="60", end=day(5))
    story.on(day(3))
    change = story.change(first, "80", day(3))
    story.on(day(7))

    story.discontinue_in_error(change)

    assert story.events(OrderReinstated) == []
    assert not story.record.orders[first].current_on(day(7))


def test_a_replaced_change_in_error_reinstates_nothing() -> None:
    story = Story()
    first = story.prescribe(dose="60")
    story.on(day(3))
    change = story.change(first, "80", day(3))
    story.on(day(5))
    story.change(change, "90", day(5))

    story.discontinue_in_error(change)

    assert story.events(OrderReinstated) == []
    assert story.record.orders[first].replaced_by == change


def test_an_earlier_order_itself_in_error_is_not_reinstated() -> None:
    story = Story()
    first = story.prescribe(dose="60")
    story.on(day(3))
    change = story.change(first, "80", day(3))
    story.discontinue_in_error(first)

    story.discontinue_in_error(change)

    assert story.events(OrderReinstated) == []


def test_a_hold_on_the_cancelled_order_holds_the_reinstated_one() -> None:
    story = Story()
    first = story.prescribe(dose="60")
    story.on(day(3))
    change = story.change(first, "80", day(3))
    story.hold(change, "intoxicated at the window")

    story.discontinue_in_error(change)

    held = [h for h in story.events(OrderHeld) if h.order_id == first]
    assert [(h.rule_id, h.day) for h in held] == [("", day(3))]
    assert f"order {change}" in held[0].reason
    assert "intoxicated" in held[0].reason
    assert story.record.orders[first].status is Status.ON_HOLD
    with pytest.raises(RuleViolation) as refused:
        story.dose(first, day(3), "60")
    assert refused.value.rule == "order-active"


def test_a_blind_taper_back_in_force_is_blind_again() -> None:
    story = Story()
    first = story.prescribe(dose="60")
    story.on(day(3))
    taper = story.taper(first, [(day(3), "50"), (day(10), "40")], blind=True)
    story.on(day(5))
    change = story.change(taper, "45", day(5))

    story.discontinue_in_error(change)

    [back] = story.events(OrderReinstated)
    assert (back.order_id, back.blind) == (taper, True)


def test_the_client_sees_nothing_of_a_blind_taper_back_in_force_as_of_then() -> None:
    r = Record()
    client = Actor(id=str(r.client_id), role=Role.CLIENT)
    r.add(ClientEnrolled, ADMIN, display_name="Jo R.", program="North OTP")
    order = {"medication": "methadone", "unit": "mg", "route": "oral", "schedule": Schedule()}
    first = r.add(MedicationPrescribed, DOCTOR, order_id=uuid4(), dose=Decimal(60),
                  start=day(1), **order)  # fmt: skip
    taper = r.add(TaperOrdered, DOCTOR, order_id=uuid4(), dose=Decimal(50), start=day(3),
                  prior_order_id=first.order_id, blind=True,
                  steps=(TaperStep(start=day(3), dose=Decimal(50)),), **order)  # fmt: skip
    change = r.add(DoseChanged, DOCTOR, order_id=uuid4(), dose=Decimal(45), start=day(5),
                   prior_order_id=taper.order_id, prior_dose=Decimal(50), **order)  # fmt: skip
    r.add(OrderEnteredInError, DOCTOR, order_id=change.order_id, medication="methadone",
          reason="wrong client")  # fmt: skip
    back = r.add(OrderReinstated, DOCTOR, order_id=taper.order_id, medication="methadone",
                 in_error_order_id=change.order_id, start=day(5), reason="wrong client",
                 blind=True)  # fmt: skip
    history = [Positioned(n, e) for n, e in enumerate(r.events, start=1)]

    def kinds(when: datetime) -> set[Kind]:
        return set(AccessAsOf.rebuilt(r.client_id, history, when).grant(client).kinds)

    assert Kind.MEDICATION in kinds(change.recorded_at + timedelta(minutes=1))
    assert Kind.MEDICATION not in kinds(back.recorded_at + timedelta(minutes=1))


def test_the_order_back_in_force_is_judged_afresh_on_the_picture_it_is_back_in() -> None:
    story = Story()
    first = story.prescribe(dose="60")
    story.prescribe("gabapentin", "300")  # opioid + gabapentinoid: a moderate finding
    story.on(day(3))
    change = story.change(first, "80", day(3))
    story.prescribe("lorazepam", "1", ack={"opioid-cns-depressant": "taper plan, naloxone"})

    story.discontinue_in_error(change)

    on_first = [
        (f.rule_id, f.acknowledged_reason)
        for f in story.events(InteractionFound)
        if first in {i.id for i in f.implicated}
    ]
    assert on_first == [
        ("opioid-gabapentinoid", ""),  # when it was prescribed
        ("opioid-gabapentinoid", ""),  # back in force: found again, resolved meanwhile
        ("opioid-cns-depressant", ""),  # met while it was replaced: open, not acknowledged
    ]
