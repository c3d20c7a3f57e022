"""Bottles handed over for days after treatment stopped are doses the client must no longer
take: the stop was recorded without a word, and the team never learned to recall them.
take-home-recall names each such bottle's day and lot; the stop itself is never refused."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, at, day

from carecoord.events.alerts import AlertRaised
from carecoord.events.medication import OrderDiscontinued, Severity
from carecoord.services.alerts.recall import RECALL, bottles_after, recall
from carecoord.services.alerts.record import AlertRecord
from carecoord.services.alerts.replay import replay
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing
from carecoord.services.medication.dispensing import Bottle, TakeHome, TakeHomeInError


@pytest.fixture
def story() -> Story:
    """A client dosed on day 1, sent home on day 1 with bottles for days 2 to 5."""
    story = Story()
    order_id = story.prescribe()
    story.dose(order_id, day(1))
    story.eligible(7)
    story.on(day(1))
    story.take_home(order_id, day(1), day(2), 4)
    return story


def order_of(story: Story) -> UUID:
    return next(iter(story.record.orders))


def stopped_on(story: Story, n: int) -> tuple[OrderDiscontinued, AlertRecord]:
    story.on(day(n), 12)
    story.discontinue(order_of(story), reason="rash")
    [stop] = story.events(OrderDiscontinued)
    alerts = AlertRecord(story.record.client_id)
    recall(alerts, story.record, stop, story.rules.day_of, DEFAULT_ALERT_RULES)
    return stop, alerts


def raised(alerts: AlertRecord) -> list[AlertRaised]:
    return [r.event for r in alerts.pending if isinstance(r.event, AlertRaised)]


def test_a_stop_with_bottles_out_raises_the_recall_naming_days_and_lots(story: Story) -> None:
    stop, alerts = stopped_on(story, 3)

    [alert] = raised(alerts)
    assert (alert.rule_id, alert.rule_version) == (RECALL, "3")
    assert alert.severity is Severity.HIGH
    assert alert.evidence == (stop.event_id,)
    assert alert.detail == (
        f"2 bottles for days after {day(3)}: lot LOT-7 {day(4)} to {day(5)} (2)"
    )
    assert "rash" not in alert.detail


def test_no_bottle_after_the_stop_day_raises_nothing(story: Story) -> None:
    _, alerts = stopped_on(story, 5)

    assert raised(alerts) == []


def test_bottles_marked_in_error_are_not_recalled(story: Story) -> None:
    [dispense_id] = story.record.orders[order_of(story)].handed_over
    dispensing.enter_take_home_in_error(
        story.record, story.stamp(), story.rules, TakeHomeInError(dispense_id, "wrong client")
    )
    _, alerts = stopped_on(story, 3)

    assert raised(alerts) == []


def test_an_open_recall_is_not_raised_again(story: Story) -> None:
    stop, alerts = stopped_on(story, 3)

    again = stop.model_copy(update={"event_id": uuid4()})
    recall(alerts, story.record, again, story.rules.day_of, DEFAULT_ALERT_RULES)

    assert len(raised(alerts)) == 1


def test_the_replay_raises_the_recall_the_stop_raised(story: Story) -> None:
    _, alerts = stopped_on(story, 3)

    events = [r.event for r in story.record.pending]
    assert replay(DEFAULT_ALERT_RULES, events) == raised(alerts)


def test_bottles_after_reads_each_order_given(story: Story) -> None:
    assert [b.day for b in bottles_after(story.record.orders.values(), day(4))] == [day(5)]
    assert bottles_after([], day(1)) == []


def test_the_detail_gives_each_lot_its_days_as_runs() -> None:
    story = Story()
    order_id = story.prescribe()
    story.dose(order_id, day(1))
    story.eligible(7)
    story.on(day(1))
    lots = ("LOT-A", "LOT-B", "LOT-A", "LOT-A")
    given = TakeHome(
        order_id, day(2), 4, "oral solution",
        bottles=tuple(Bottle(f"B{n}", lot) for n, lot in enumerate(lots)),
        handed_over_at=at(day(1), 10),
    )  # fmt: skip
    dispensing.dispense_take_home(
        story.record, story.stamp(NURSE), story.rules, uuid4(), given, program="OTP"
    )

    _, alerts = stopped_on(story, 1)

    [alert] = raised(alerts)
    assert alert.detail == (
        f"4 bottles for days after {day(1)}: lot LOT-A {day(2)}, {day(4)} to {day(5)} (3);"
        f" lot LOT-B {day(3)} (1)"
    )


@pytest.mark.parametrize("how", ["change", "taper"])
def test_a_dose_change_raises_no_recall_as_it_waits_for_the_bottles_out(
    story: Story, how: str
) -> None:
    """The recall reads a stop alone: a dose change or taper starting on a day a bottle of the
    old dose is out for is refused naming the first day it may start, so no bottle at home
    holds a dose other than its day's order (and none is there to exchange)."""
    order_id = order_of(story)
    story.on(day(2), 12)

    def write() -> UUID:
        if how == "change":
            return story.change(order_id, "40", day(3))
        return story.taper(order_id, [(day(3), "50"), (day(6), "40")])

    with pytest.raises(RuleViolation) as refused:
        write()
    field = "start" if how == "change" else "steps.0.start"
    assert (refused.value.field, refused.value.rule) == (field, "start-after-last-dispensed")
    assert f"start the new order on {day(6)} or later" in refused.value.message
