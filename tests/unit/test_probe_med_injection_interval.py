"""A long-acting injection is dosed no more often than it acts: XR-naltrexone ordered with
the default daily schedule was accepted as 380 mg every day (within the usual maximum per
dosing day, so no acknowledgement was asked), and every day after the injection then read
as a missed dose. It is refused naming the interval; every 28 days is ordered as before."""

from __future__ import annotations

import pytest
from medication_story import Story

from carecoord.events import Schedule
from carecoord.events.medication import MedicationPrescribed
from carecoord.services.kernel.errors import InvalidInput


@pytest.mark.parametrize(
    ("medication", "dose", "route"),
    [("naltrexone-xr", "380", "intramuscular"), ("buprenorphine-xr", "300", "subcutaneous")],
)
def test_an_injection_more_often_than_it_acts_is_refused(
    medication: str, dose: str, route: str
) -> None:
    story = Story()

    with pytest.raises(InvalidInput) as refused:
        story.prescribe(medication, dose, route=route)

    assert (refused.value.field, refused.value.rule) == ("schedule.everyDays", "dosing-interval")
    assert "every 28 days" in refused.value.message
    assert not story.record.pending
    story.prescribe(medication, dose, route=route, schedule=Schedule(every_days=28))
    assert len(story.events(MedicationPrescribed)) == 1
