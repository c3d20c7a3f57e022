"""Orders end when they say they end, stops are dated within limits, and doses are plausible:
each refusal names the field and the bound."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from medication_story import JAN, Story, at, day

from carecoord.events.medication import (
    DoseAdministered,
    InteractionFound,
    StatementSource,
)
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.medication import prescribing, statements
from carecoord.services.medication.exposure import picture
from carecoord.services.medication.statements import Statement


def test_an_order_past_its_end_date_has_ended_and_refuses_doses_and_actions() -> None:
    story = Story()
    order_id = story.prescribe("methadone", "60", start=day(1), end=day(5))
    story.dose(order_id, day(5))
    order = story.record.orders[order_id]
    assert (order.status_on(day(5)), order.status_on(day(6))) == ("active", "ended")

    story.on(day(6))
    with pytest.raises(RuleViolation) as refused:
        story.dose(order_id, day(6))
    assert (refused.value.rule, refused.value.message) == (
        "order-active",
        f"order ended on {day(5)}; no dose is given under it on {day(6)}",
    )
    with pytest.raises(RuleViolation, match=f"ended on {day(5)}; prescribe a new order"):
        prescribing.hold(story.record, story.stamp(), story.rules, order_id, "x")
    renewed = story.prescribe("methadone", "60", start=day(6))  # not a second one in force
    assert [story.record.orders[o].status_on(day(6)) for o in (order_id, renewed)] == [
        "ended",
        "active",
    ]


def test_an_ended_order_counts_as_exposure_only_through_its_washout() -> None:
    story = Story()
    story.prescribe("tramadol", "50", start=day(1), end=day(5))  # filled by a pharmacy
    story.on(day(8))
    [tramadol] = picture(story.record, story.rules, day(8))
    assert (tramadol.through, tramadol.basis) == (day(5), f"order ended {day(5)}")
    with pytest.raises(RuleViolation, match="naltrexone-opioid-free-interval"):
        story.prescribe("naltrexone", "50", start=day(15))
    naltrexone = story.prescribe("naltrexone", "50", start=day(16))
    assert story.record.orders[naltrexone].status_on(day(16)) == "active"
    assert story.events(InteractionFound) == []


def test_a_clinic_order_that_ended_counts_from_its_last_dose_and_none_if_never_given() -> None:
    story = Story()
    bup = story.prescribe("buprenorphine", "16", route="sublingual", start=day(1), end=day(5))
    assert picture(story.record, story.rules, day(8)) == []
    story.dose(bup, day(4), "16", form="sublingual film")
    [given] = picture(story.record, story.rules, day(8))
    assert (given.through, given.basis) == (day(4), f"last dose given {day(4)}")


def test_a_stop_may_be_dated_back_within_limits() -> None:
    story = Story()
    order = story.prescribe("sertraline", "50", start=day(1))
    story.on(day(40))

    def stop(when: datetime) -> None:
        prescribing.discontinue(
            story.record,
            story.stamp(),
            story.rules,
            order,
            "stopped",
            stopped_at=when,
        )

    with pytest.raises(InvalidInput) as future:
        stop(at(day(41)))
    assert (future.value.field, future.value.rule) == ("stoppedAt", "not-in-future")
    with pytest.raises(InvalidInput) as too_far:
        stop(at(day(5)))
    assert (too_far.value.field, too_far.value.rule) == ("stoppedAt", "stop-backdate-limit")
    assert "more than 30 days back" in too_far.value.message
    stop(at(day(20)))
    assert story.record.orders[order].stopped_at == at(day(20))
    [sertraline] = picture(story.record, story.rules, day(40))
    assert sertraline.through == day(20)


def test_a_stop_is_not_before_the_start_or_a_dose_given() -> None:
    story = Story()
    later = story.prescribe("sertraline", "50", start=day(10))
    methadone = story.prescribe("methadone", "60", start=day(1))
    story.dose(methadone, day(3))
    story.on(day(12))

    with pytest.raises(InvalidInput) as before_start:
        prescribing.discontinue(
            story.record, story.stamp(), story.rules, later, "x", stopped_at=at(day(9))
        )
    assert (before_start.value.field, before_start.value.rule) == ("stoppedAt", "stop-after-start")
    with pytest.raises(RuleViolation) as before_dose:
        story.discontinue(methadone, at(day(2)))
    assert (before_dose.value.field, before_dose.value.rule) == (
        "stoppedAt",
        "stop-after-last-dose",
    )
    with pytest.raises(RuleViolation) as before_dose_that_day:  # given at 09:00
        story.discontinue(methadone, at(day(3), 8))
    assert before_dose_that_day.value.rule == "stop-after-last-dose"
    assert "given under this order at 2026-01-03 09:00" in str(before_dose_that_day.value)
    story.discontinue(methadone, at(day(3), 20))
    assert story.record.orders[methadone].stopped_at == at(day(3), 20)


def test_a_statement_ends_when_the_client_stopped_not_before_it_began() -> None:
    story = Story()
    statement = statements.record_statement(
        story.record, story.stamp(), story.rules, story.record.client_id,
        Statement("sertraline", StatementSource.CLIENT, since=day(1)),
    )  # fmt: skip
    assert statement == []
    story.on(day(10))
    with pytest.raises(InvalidInput, match="before the reported start"):
        statements.end_statement(
            story.record,
            story.stamp(),
            story.rules,
            story.record.client_id,
            "",
            at(JAN - timedelta(days=1)),
        )
    statements.end_statement(
        story.record, story.stamp(), story.rules, story.record.client_id, "", at(day(7))
    )
    assert story.record.statements[story.record.client_id].stopped_at == at(day(7))


@pytest.mark.parametrize(
    ("dose", "rule"),
    [("60.0001", "dose-precision"), ("1E-30", "dose-precision"), ("0", "positive-dose"),
     ("1001", "dose-limit"), ("1E+12", "dose-limit")],
)  # fmt: skip
def test_implausible_doses_are_refused_naming_the_field_and_the_bound(dose: str, rule: str) -> None:
    story = Story()
    with pytest.raises(InvalidInput) as refused:
        story.prescribe("methadone", dose)
    assert (refused.value.field, refused.value.rule) == ("dose", rule)
    assert story.record.pending == ()


def test_the_limit_message_names_the_bound_and_its_source() -> None:
    story = Story()
    with pytest.raises(InvalidInput) as refused:
        story.prescribe("lorazepam", "20000")
    assert "above the limit of 10000 mg per dosing day for lorazepam" in refused.value.message
    assert "data-entry guard" in refused.value.message


def test_above_the_usual_maximum_an_acknowledgement_is_recorded_as_an_override() -> None:
    story = Story()
    with pytest.raises(RuleViolation) as refused:
        story.prescribe("methadone", "150")
    assert (refused.value.field, refused.value.rule) == (
        "acknowledgements",
        "dose-above-usual-maximum",
    )
    assert "above the usual maximum of 120 mg per dosing day for methadone" in refused.value.message
    assert "80 to 120 mg/day" in refused.value.message

    order = story.prescribe(
        "methadone", "150", ack={"dose-above-usual-maximum": "fast metabolizer"}
    )

    [override] = story.overrides()
    assert (override.rule_id, override.rule_version, override.reason) == (
        "dose-above-usual-maximum",
        "1",
        "fast metabolizer",
    )
    assert (override.order_id, override.attempted.dose) == (order, Decimal(150))


def test_a_taper_step_and_a_dose_change_are_held_to_the_same_bounds() -> None:
    story = Story()
    order = story.prescribe("methadone", "100", start=day(1))
    with pytest.raises(InvalidInput) as step:
        story.taper(order, [(day(2), "90"), (day(9), "80.12345")])
    assert (step.value.field, step.value.rule) == ("steps.1.dose", "dose-precision")
    with pytest.raises(RuleViolation, match="dose-above-usual-maximum"):
        story.change(order, "130", day(2))
    story.change(order, "130", day(2), ack={"dose-above-usual-maximum": "QTc fine, cravings"})
    assert [o.rule_id for o in story.overrides()] == ["dose-above-usual-maximum"]


def test_an_amount_given_at_the_window_has_at_most_three_decimals() -> None:
    story = Story()
    order = story.prescribe("methadone", "60", start=day(1))
    with pytest.raises(InvalidInput) as refused:
        story.dose(order, day(1), "59.9999")
    assert (refused.value.field, refused.value.rule) == ("amount", "dose-precision")
    dose_id = story.dose(order, day(1), "59.995")
    [given] = story.events(DoseAdministered)
    assert (given.dose_id, given.amount) == (dose_id, Decimal("59.995"))
