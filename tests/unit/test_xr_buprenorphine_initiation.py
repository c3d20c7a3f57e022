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
        "label-2025-02",
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
    sublingual = story.prescribe("buprenorphine", "4", route=SL, end=day(1), induction=None)
    order = xr(story, start=2, ack=CROSS)
    dose = story.dose(sublingual, day(1), "4", form="sublingual film", hour=9)
    story.on(day(1), 11)
    dispensing.enter_in_error(story.record, story.stamp(NURSE), story.rules, InError(dose, "x"))
    story.on(day(2), 12)
    with pytest.raises(RuleViolation) as refused:
        inject(story, order, 2, 9)
    assert refused.value.rule == XR_INITIATION


def test_buprenorphine_taken_elsewhere_or_an_earlier_injection_is_on_record() -> None:
    story = Story()
    statements.record_statement(
        story.record, story.stamp(), story.rules, uuid4(),
        Statement("buprenorphine-naloxone", StatementSource.OTHER_PRESCRIBER),
    )  # fmt: skip
    order = xr(story, ack=CROSS)
    story.on(day(1), 9)
    inject(story, order, 1, 9)
    story.on(day(29), 9)
    inject(story, order, 29, 9)
    assert len(story.events(DoseAdministered)) == 2
