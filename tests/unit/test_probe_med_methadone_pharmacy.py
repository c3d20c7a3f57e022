"""Methadone for opioid use disorder is dispensed by the treatment program, never filled by a
pharmacy (21 CFR 1306.07(a)): an order of it marked pharmacy-filled was accepted, and then
escaped the window's checks, the missed-dose rule and the take-home caps. It is refused
naming the field; buprenorphine, which a pharmacy may fill, is ordered so as before."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from medication_story import JAN, Story

from carecoord.events import Schedule
from carecoord.events.medication import Dispensing, MedicationPrescribed
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.medication import prescribing
from carecoord.services.medication.prescribing import NewOrder


def ordered(story: Story, medication: str, route: str, dispensing: Dispensing) -> None:
    new = NewOrder(medication, Decimal(8), "mg", route, Schedule(), JAN, dispensing=dispensing)
    prescribing.prescribe(story.record, story.stamp(), story.rules, uuid4(), new)


def test_methadone_filled_by_a_pharmacy_is_refused() -> None:
    story = Story()

    with pytest.raises(InvalidInput) as refused:
        ordered(story, "methadone", "oral", Dispensing.PHARMACY)

    assert (refused.value.field, refused.value.rule) == ("dispensing", "clinic-dispensed")
    assert not story.record.pending


def test_buprenorphine_may_be_filled_by_a_pharmacy() -> None:
    story = Story()

    ordered(story, "buprenorphine-naloxone", "sublingual", Dispensing.PHARMACY)

    [order] = story.events(MedicationPrescribed)
    assert order.dispensing is Dispensing.PHARMACY
