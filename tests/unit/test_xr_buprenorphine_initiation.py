"""Extended-release buprenorphine only after buprenorphine the client has taken (the
SUBLOCADE label): an order for a client with none on record needs the prescriber's
acknowledgement, recorded as an override, and the window gives a first injection only an
hour after a sublingual dose, or under an order that carries the acknowledgement."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from medication_story import NURSE, Story, day

from carecoord.events import Schedule
from carecoord.events.medication import DoseAdministered, StatementSource
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import dispensing, statements
from carecoord.services.medication.dispensing import InError
from carecoord.services.medication.statements import Statement
from carecoord.services.medication.xr_initiation import XR_INITIATION

MONTHLY = Schedule(every_days=28)
SL = "sublingual"
CROSS = {"duplicate-opioid-treatment": "rapid initiation of the injection"}


def xr(story: Story, start: int = 1, ack: dict[str, str] | None = None) -> UUID:
    return story.prescribe(
        "buprenorphine-xr", "300", route="subcutaneous", schedule=MONTHLY, start=day(start),
        ack=ack, induction=None,
    )  # fmt: skip


def inject(story: Story, order: UUID, on: int, hour: int) -> UUID:
    return story.dose(order, day(on), "300", form="injection", hour=hour)


def test_an_order_for_a_client_with_no_buprenorphine_needs_the_acknowledgement() -> None:
    story = Story()
    with pytest.raises(RuleViolation) as refused:
        xr(story)
    assert (refused.value.field, refused.value.rule) == ("acknowledgements", XR_INITIATION)
    assert "SUBLOCADE" in str(refused.value)
    assert not story.record.pending

    order = xr(story, ack={XR_INITIATION: "4 mg sublingual tolerated in the ED today"})
    [override] = story.overrides()
    assert (override.rule_id, override.rule_version, override.order_id) == (
        XR_INITIATION,
        "label-2025-02+days:1",
        order,
    )
    story.on(day(1), 9)
    inject(story, order, 1, 9)  # the order carries it


def test_the_first_injection_waits_an_hour_after_a_sublingual_dose() -> None:
    story = Story()
    sublingual = story.prescribe("buprenorphine", "4", route=SL, end=day(1), induction=None)
    order = xr(story, ack=CROSS)
    story.on(day(1), 12)
    with pytest.raises(RuleViolation) as before:
        inject(story, order, 1, 9)
    assert (before.value.field, before.value.rule) == ("orderId", XR_INITIATION)
    story.dose(sublingual, day(1), "4", form="sublingual film", hour=9)
    with pytest.raises(RuleViolation) as too_soon:
        inject(story, order, 1, 9)  # the same hour
    assert too_soon.value.rule == XR_INITIATION
    inject(story, order, 1, 10)
    assert not [o for o in story.overrides() if o.rule_id == XR_INITIATION]


def test_a_sublingual_dose_entered_in_error_was_never_given() -> None:
    story = Story()
    sublingual = story.prescribe("buprenorphine", "4", route=SL, end=day(2), induction=None)
    order = xr(story, start=2, ack=CROSS)
    dose = story.dose(sublingual, day(1), "4", form="sublingual film", hour=9)
    story.on(day(1), 11)
    dispensing.enter_in_error(story.record, story.stamp(NURSE), story.rules, InError(dose, "x"))
    story.on(day(2), 12)
    with pytest.raises(RuleViolation) as refused:
        inject(story, order, 2, 9)
    assert refused.value.rule == XR_INITIATION


def test_buprenorphine_said_taken_elsewhere_is_acknowledged_and_an_injection_counts() -> None:
    """A statement records no dose or days: the prescriber who knows them acknowledges the
    rule (version 1 took any statement as enough); an earlier injection is on record."""
    story = Story()
    statements.record_statement(
        story.record, story.stamp(), story.rules, uuid4(),
        Statement("buprenorphine-naloxone", StatementSource.OTHER_PRESCRIBER),
    )  # fmt: skip
    with pytest.raises(RuleViolation) as refused:
        xr(story, ack=CROSS)
    assert refused.value.details == {"daysOnBuprenorphine": 0}
    order = xr(story, ack={**CROSS, XR_INITIATION: "16 mg a day for a year at Dr A's"})
    story.on(day(1), 9)
    inject(story, order, 1, 9)
    story.on(day(29), 9)
    inject(story, order, 29, 9)
    assert len(story.events(DoseAdministered)) == 2


def test_doses_under_4_mg_are_not_enough_nor_a_dose_of_4_mg_days_ago() -> None:
    """Version 2 (the SUBLOCADE label): seven days of 8-24 mg a day, or a single dose of at
    least 4 mg observed over the hour before; any buprenorphine was enough in version 1."""
    story = Story()
    low = story.prescribe("buprenorphine", "4", route=SL, end=day(8), induction=None)
    for n in range(1, 8):
        story.on(day(n), 8)
        story.dose(low, day(n), "2", form="sublingual film", hour=9)
    order = xr(story, start=8, ack=CROSS)
    story.on(day(8), 12)
    with pytest.raises(RuleViolation) as refused:
        inject(story, order, 8, 11)
    assert (refused.value.field, refused.value.rule) == ("orderId", XR_INITIATION)
    assert refused.value.details == {"daysOnBuprenorphine": 0}
    assert "7 days of 8-24 mg" in str(refused.value)

    story.dose(low, day(8), "4", form="sublingual film", hour=9)
    inject(story, order, 8, 10)


def test_a_dose_of_4_mg_counts_on_the_day_of_the_injection_only() -> None:
    story = Story()
    sublingual = story.prescribe("buprenorphine", "4", route=SL, end=day(1), induction=None)
    story.on(day(1), 8)
    story.dose(sublingual, day(1), "4", form="sublingual film", hour=9)
    order = xr(story, start=3, ack=CROSS)
    story.on(day(3), 12)
    with pytest.raises(RuleViolation) as refused:
        inject(story, order, 3, 11)
    assert refused.value.rule == XR_INITIATION


def dosed_elsewhere(days: int) -> tuple[Story, UUID]:
    """8 mg of buprenorphine a day, guest dosed elsewhere for ``days`` days from day 1, and
    an injection ordered from the day after."""
    story = Story()
    story.prescribe("buprenorphine", "8", route=SL, end=day(days + 1), induction=None)
    story.guest(day(1), day(days))
    return story, xr(story, start=days + 1, ack=CROSS)


def test_seven_days_at_8_to_24_mg_dosed_elsewhere_are_enough() -> None:
    story, order = dosed_elsewhere(6)
    story.on(day(7), 12)
    with pytest.raises(RuleViolation) as six:
        inject(story, order, 7, 11)
    assert (six.value.rule, six.value.details) == (XR_INITIATION, {"daysOnBuprenorphine": 6})

    story, order = dosed_elsewhere(7)
    story.on(day(8), 12)
    inject(story, order, 8, 11)
