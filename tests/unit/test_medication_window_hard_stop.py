"""What a hard-stop rule would refuse prescribing now is refused at the window too: an
opioid-positive screen recorded after an XR-naltrexone order was written stood between the
order and the injection nowhere, so the client was injected the day after fentanyl was
found (precipitated withdrawal; the label contraindicates it). A dose charted late says what
was given and is not refused; an agonist dosed after a positive screen meets no hard stop."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from alert_story import DOCTOR, NURSE, Story

from carecoord.events import Schedule
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.medication import commands as medication
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.medication.prescribing import NewOrder

XR = Decimal(380)


def naltrexone_xr(story: Story) -> UUID:
    new = NewOrder(
        "naltrexone-xr", XR, "mg", "intramuscular", Schedule(every_days=28),
        story.medication.day_of(story.now),
    )  # fmt: skip
    written = story.run(
        medication.prescribe(story.stamp(DOCTOR), client_id=story.client_id, order=new)
    )
    assert written.refused is None
    order_id: UUID = written.id
    return order_id


def inject(story: Story, order_id: UUID, hours_ago: float = 0) -> UUID:
    given = GivenDose(order_id, XR, "injection", given_at=story.now - timedelta(hours=hours_ago))
    dose_id: UUID = story.run(
        medication.administer_dose(story.stamp(NURSE), client_id=story.client_id, dose=given)
    )
    return dose_id


def test_an_injection_after_an_opioid_positive_screen_is_refused() -> None:
    story = Story()
    order = naltrexone_xr(story)
    story.screen(fentanyl="positive")
    story.later(hours=2)

    with pytest.raises(RuleViolation) as refused:
        inject(story, order)

    assert (refused.value.field, refused.value.rule) == ("orderId", "naltrexone-opioid-agonist")
    assert "hard stop" in refused.value.message


def test_an_injection_after_reported_heroin_use_is_refused() -> None:
    story = Story()
    order = naltrexone_xr(story)
    story.check_in(NURSE, substance_use=True, substances=("heroin",))

    with pytest.raises(RuleViolation) as refused:
        inject(story, order)

    assert refused.value.rule == "naltrexone-opioid-agonist"


def test_an_injection_charted_late_for_the_day_before_is_not_refused() -> None:
    story = Story()
    order = naltrexone_xr(story)
    story.screen(fentanyl="positive")

    inject(story, order, hours_ago=24)


def test_an_injection_with_no_opioid_on_record_is_given() -> None:
    story = Story()
    order = naltrexone_xr(story)
    story.screen(fentanyl="negative")

    inject(story, order)


def test_methadone_after_an_opioid_positive_screen_is_dosed() -> None:
    story = Story()
    order = story.prescribe("methadone")
    story.screen(fentanyl="positive", opiates="positive")

    story.dose(order)
