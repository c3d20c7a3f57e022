"""A client switching from methadone is started on buprenorphine only a day after the last
methadone dose (SAMHSA TIP 63): sooner precipitates withdrawal. The first buprenorphine
ordered to start within 24 hours of the last methadone needs the prescriber's
acknowledgement, and the window refuses a first dose given within 24 hours of it unless the
order carries one, naming the hours since and recording nothing."""

from __future__ import annotations

import pytest
from medication_story import Story, day

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication.methadone_switch import METHADONE_TO_BUPRENORPHINE

SL = "sublingual"
PLAN = {METHADONE_TO_BUPRENORPHINE: "low-dose overlap per protocol"}


def on_methadone(story: Story, last: int) -> None:
    """Methadone from day 1 through ``last``, dosed each day at 9."""
    order = story.prescribe("methadone", "30", end=day(last))
    for n in range(1, last + 1):
        story.on(day(n), 8)
        story.dose(order, day(n), "30", hour=9)


def test_buprenorphine_ordered_to_start_the_day_after_methadone_needs_the_acknowledgement() -> None:
    story = Story()
    on_methadone(story, 3)
    pending = len(story.record.pending)
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("buprenorphine", "4", route=SL, start=day(4))
    assert (refused.value.field, refused.value.rule) == (
        "acknowledgements",
        METHADONE_TO_BUPRENORPHINE,
    )
    assert refused.value.details == {"hoursSinceMethadone": 15}
    assert len(story.record.pending) == pending

    order = story.prescribe("buprenorphine", "4", route=SL, start=day(4), ack=PLAN)
    [override] = [o for o in story.overrides() if o.rule_id == METHADONE_TO_BUPRENORPHINE]
    assert (override.order_id, override.rule_version) == (order, "1")
    story.on(day(4), 10)
    story.dose(order, day(4), "4", form="sublingual film", hour=10)  # the order carries it


def test_the_window_refuses_a_first_dose_within_24_hours_of_methadone() -> None:
    story = Story()
    order = story.prescribe("buprenorphine", "4", route=SL, start=day(5))  # none on record
    methadone = story.prescribe("methadone", "30", start=day(1), end=day(4))
    story.on(day(4), 8)
    story.dose(methadone, day(4), "30", hour=9)
    story.on(day(5), 12)
    pending = len(story.record.pending)
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(5), "4", form="sublingual film", hour=8)
    assert (refused.value.field, refused.value.rule) == ("orderId", METHADONE_TO_BUPRENORPHINE)
    assert refused.value.details == {"hoursSinceMethadone": 23}
    assert "23 h" in str(refused.value)
    assert len(story.record.pending) == pending
    story.dose(order, day(5), "4", form="sublingual film", hour=10)  # 25 hours on
    story.on(day(6), 12)
    story.dose(order, day(6), "4", form="sublingual film", hour=9)  # no longer the first


def test_a_take_home_bottle_of_methadone_counts_as_taken_by_the_end_of_its_day() -> None:
    story = Story()
    order = story.prescribe("buprenorphine", "4", route=SL, start=day(5))
    methadone = story.prescribe("methadone", "30", start=day(1), end=day(4))
    story.eligible(7)
    story.on(day(3), 8)
    story.dose(methadone, day(3), "30", hour=9)
    story.take_home(methadone, day(3), day(4), 1)
    story.on(day(5), 12)
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(5), "4", form="sublingual film", hour=11)
    assert refused.value.details == {"hoursSinceMethadone": 11}


def test_buprenorphine_long_after_methadone_or_already_taken_is_not_asked() -> None:
    story = Story()
    on_methadone(story, 2)
    order = story.prescribe("buprenorphine", "4", route=SL, start=day(4))
    story.on(day(4), 12)
    story.dose(order, day(4), "4", form="sublingual film", hour=9)
    assert not [o for o in story.overrides() if o.rule_id == METHADONE_TO_BUPRENORPHINE]


def test_methadone_guest_dosed_elsewhere_counts_as_taken_by_the_end_of_its_day() -> None:
    story = Story()
    order = story.prescribe("buprenorphine", "4", route=SL, start=day(5))
    story.prescribe("methadone", "30", start=day(1), end=day(4))
    story.guest(day(1), day(4))
    story.on(day(5), 12)
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(5), "4", form="sublingual film", hour=10)
    assert (refused.value.rule, refused.value.details) == (
        METHADONE_TO_BUPRENORPHINE,
        {"hoursSinceMethadone": 10},
    )
    story.on(day(6), 12)
    story.dose(order, day(6), "4", form="sublingual film", hour=10)
