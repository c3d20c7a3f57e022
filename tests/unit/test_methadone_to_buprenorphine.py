"""A client switching from methadone is started on buprenorphine only a day after the last
methadone dose (SAMHSA TIP 63): sooner precipitates withdrawal. The first buprenorphine
ordered to start within 24 hours of the last methadone needs the prescriber's
acknowledgement, and the window refuses a first dose given within 24 hours of it unless the
order carries one, naming the hours since and recording nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from medication_story import Story, at, day

from carecoord.events.medication import StatementSource
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import statements
from carecoord.services.medication.methadone_switch import METHADONE_TO_BUPRENORPHINE
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.medication.statements import Statement

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
    assert (override.order_id, override.rule_version) == (order, "2")
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


def from_another_otp(story: Story, stopped_at: datetime | None = None) -> UUID:
    """A statement of methadone the client takes at another OTP, ended at ``stopped_at``."""
    statement_id = uuid4()
    given = Statement("methadone", StatementSource.OTHER_PRESCRIBER, source_detail="OTP")
    statements.record_statement(story.record, story.stamp(), story.rules, statement_id, given)
    if stopped_at is not None:
        statements.end_statement(
            story.record, story.stamp(), story.rules, statement_id, "transfer", stopped_at
        )
    return statement_id


def test_methadone_taken_elsewhere_counts_from_when_the_statement_says_it_stopped() -> None:
    story = Story()
    story.on(day(3), 12)
    from_another_otp(story, stopped_at=at(day(3), 7))
    with pytest.raises(RuleViolation) as refused:  # version 1 asked nothing
        story.prescribe("buprenorphine", "4", route=SL, start=day(4))
    assert (refused.value.rule, refused.value.details) == (
        METHADONE_TO_BUPRENORPHINE,
        {"hoursSinceMethadone": 17},
    )
    order = story.prescribe("buprenorphine", "4", route=SL, start=day(5))  # 41 hours on
    story.on(day(5), 12)
    story.dose(order, day(5), "4", form="sublingual film", hour=8)


def test_a_statement_in_force_counts_as_methadone_taken_up_to_now() -> None:
    story = Story()
    story.on(day(1), 12)
    statement = from_another_otp(story)
    cross = {"duplicate-opioid-treatment": "switching from the other OTP"}
    order = story.prescribe("buprenorphine", "4", route=SL, start=day(3), ack=cross)
    story.on(day(5), 12)
    pending = len(story.record.pending)
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(5), "4", form="sublingual film", hour=9)
    assert (refused.value.field, refused.value.details) == ("orderId", {"hoursSinceMethadone": 0})
    assert "until it is ended" in str(refused.value)
    assert len(story.record.pending) == pending
    statements.end_statement(
        story.record, story.stamp(), story.rules, statement, "transfer", at(day(4), 7)
    )
    with pytest.raises(RuleViolation) as refused:
        story.dose(order, day(5), "4", form="sublingual film", hour=6)
    assert refused.value.details == {"hoursSinceMethadone": 23}
    story.dose(order, day(5), "4", form="sublingual film", hour=8)


def test_a_statement_in_error_or_taken_from_a_later_day_counts_nothing_before_it() -> None:
    story = Story()
    story.on(day(5), 12)
    order = story.prescribe("buprenorphine", "4", route=SL, start=day(5))
    wrong = from_another_otp(story)
    statements.enter_in_error(story.record, story.stamp(), story.rules, wrong, "wrong client")
    later = Statement("methadone", StatementSource.CLIENT, since=day(6))
    statements.record_statement(story.record, story.stamp(), story.rules, uuid4(), later)
    story.dose(order, day(5), "4", form="sublingual film", hour=13)


def test_the_hours_are_real_ones_across_the_night_the_clocks_go_forward() -> None:
    """In New York 8 March 2026 has 23 hours: methadone in hand through the 7th and
    buprenorphine from the 9th are 23 hours apart, which counted as 24 and asked nothing."""
    story = Story(MedicationRules(zone=ZoneInfo("America/New_York")))
    story.now = datetime(2026, 3, 1, 13, tzinfo=UTC)
    story.prescribe("methadone", "30", start=date(2026, 3, 1), end=date(2026, 3, 7))
    story.guest(date(2026, 3, 1), date(2026, 3, 7))
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("buprenorphine", "4", route=SL, start=date(2026, 3, 9))
    assert (refused.value.rule, refused.value.details) == (
        METHADONE_TO_BUPRENORPHINE,
        {"hoursSinceMethadone": 23},
    )
    story.prescribe("buprenorphine", "4", route=SL, start=date(2026, 3, 10))
