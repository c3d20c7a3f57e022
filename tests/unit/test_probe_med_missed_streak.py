"""Consecutive missed days run on across a dose change: two days missed under the old order
and the first under the new one are three in a row, and the new order is held until a
prescriber assesses the client. The new order counted its own missed days only, so a dose
change made the rule start again and the client was dosed after three days away."""

from __future__ import annotations

from medication_story import Story, at, day

from carecoord.events import Actor, Role
from carecoord.events.medication import DoseMissed, OrderHeld
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import dispensing

SWEEP = Actor(id="missed-dose-sweep", role=Role.SYSTEM)


def test_missed_days_before_a_dose_change_count_toward_the_hold_on_the_new_order() -> None:
    story = Story()
    old = story.prescribe()
    dispensing.record_missed(
        story.record, Stamp(SWEEP, clock=lambda: at(day(3), 1)), story.rules, day(3)
    )
    story.on(day(3))
    new = story.change(old, "70", day(3))

    dispensing.record_missed(
        story.record, Stamp(SWEEP, clock=lambda: at(day(4), 1)), story.rules, day(4)
    )

    missed = [(e.order_id, e.day, e.consecutive_days) for e in story.events(DoseMissed)]
    assert missed == [(old, day(1), 1), (old, day(2), 2), (new, day(3), 3)]
    [held] = story.events(OrderHeld)
    assert held.order_id == new
