"""Safety events through the medication commands: a refused hard stop is recorded and the
command answers with it; a retry kept under an idempotency key gives the same refusal
back; clinical times in the future or before enrolment are refused, naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from in_memory import InMemory
from medication_story import INDUCTED

from carecoord.events import Actor, CareEvent, Role, Schedule
from carecoord.events.medication import DoseAdministered, HardStopRefused, MedicationPrescribed
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.idempotency import decode_result, encode_result
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import commands
from carecoord.services.medication.commands import Written
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.medication.induction import INITIAL_DOSE
from carecoord.services.medication.prescribing import NewOrder

DOCTOR = Actor(id="dr-lee", role=Role.PRESCRIBER)
NURSE = Actor(id="nurse-kim", role=Role.NURSE)
ENROLLED = datetime(2026, 1, 1, 8, tzinfo=UTC)
NOW = datetime(2026, 2, 1, 9, tzinfo=UTC)


class Clinic(InMemory):
    def __init__(self) -> None:
        super().__init__()
        self.client_id = self.run(
            enroll_client(
                self.stamp(NURSE), display_name="Sam", program="OTP", occurred_at=ENROLLED
            )
        )

    def stamp(self, actor: Actor = DOCTOR) -> Stamp:
        return Stamp(actor, clock=lambda: NOW)

    def prescribe(self, medication: str, dose: str, route: str = "oral") -> Written:
        order = NewOrder(
            medication, Decimal(dose), "mg", route, Schedule(), NOW.date(),
            acknowledgements={INITIAL_DOSE: INDUCTED},
        )  # fmt: skip
        return self.run(commands.prescribe(self.stamp(), client_id=self.client_id, order=order))

    def events(self) -> list[CareEvent]:
        return [r.event for a in self.touched.values() for r in a.pending]


def test_a_hard_stop_is_recorded_as_refused_and_answered_not_ordered() -> None:
    clinic = Clinic()
    methadone = clinic.prescribe("methadone", "60")

    refused = clinic.prescribe("naltrexone", "50")

    assert refused.refused is not None
    assert refused.id == refused.refused.refusal_id
    assert refused.findings == ()
    event = clinic.events()[-1]
    assert event == refused.refused
    assert isinstance(event, HardStopRefused)
    assert (event.rule_id, event.rule_version, event.field) == (
        "naltrexone-opioid-agonist",
        "2",
        "medication",
    )
    assert (event.actor, event.attempted.action, event.attempted.medication) == (
        DOCTOR,
        "prescribe",
        "naltrexone",
    )
    assert event.attempted.dose == Decimal(50)
    assert [i.id for i in event.implicated] == [methadone.id]
    assert "hard stop: discontinue methadone first" in event.message
    assert event.summary() == "Hard stop: naltrexone refused (naltrexone-opioid-agonist v2)"
    ordered = [e.medication for e in clinic.events() if isinstance(e, MedicationPrescribed)]
    assert ordered == ["methadone"]


def test_a_kept_refusal_decodes_to_the_same_refusal() -> None:
    clinic = Clinic()
    clinic.prescribe("methadone", "60")
    refused = clinic.prescribe("naltrexone", "50")

    assert decode_result(encode_result(refused)) == refused
    ordered = clinic.prescribe("sertraline", "50")
    assert decode_result(encode_result(ordered)) == ordered


def test_a_dose_given_in_the_future_or_before_enrolment_is_refused_naming_the_field() -> None:
    clinic = Clinic()
    order = clinic.prescribe("methadone", "60").id

    def give(at: datetime) -> UUID:
        dose = GivenDose(order, Decimal(60), "oral solution", given_at=at)
        return clinic.run(
            commands.administer_dose(clinic.stamp(NURSE), client_id=clinic.client_id, dose=dose)
        )

    with pytest.raises(InvalidInput) as future:
        give(NOW + timedelta(days=2))
    assert (future.value.field, future.value.rule) == ("givenAt", "not-in-future")
    assert "at most 5 minutes past now" in future.value.message
    with pytest.raises(InvalidInput) as early:
        give(ENROLLED - timedelta(days=1))
    assert (early.value.field, early.value.rule) == ("givenAt", "after-enrolment")
    dose_id = give(NOW + timedelta(minutes=4))  # within the clock tolerance: given now
    [given] = [e for e in clinic.events() if isinstance(e, DoseAdministered)]
    assert (given.dose_id, given.occurred_at) == (dose_id, NOW)


def test_a_dose_timed_just_past_midnight_by_a_fast_clock_is_charted_for_today() -> None:
    """At 23:58 a workstation four minutes fast says 00:02: the dose is tonight's, not
    tomorrow's, which would take tomorrow's slot and leave today to be found missed."""
    clinic = Clinic()
    order = clinic.prescribe("methadone", "60").id
    late = NOW.replace(hour=23, minute=58)
    dose = GivenDose(order, Decimal(60), "oral solution", given_at=late + timedelta(minutes=4))
    stamp = Stamp(NURSE, clock=lambda: late)

    clinic.run(commands.administer_dose(stamp, client_id=clinic.client_id, dose=dose))

    [given] = [e for e in clinic.events() if isinstance(e, DoseAdministered)]
    assert (given.day, given.occurred_at) == (NOW.date(), late)


def test_an_order_written_in_the_future_is_refused() -> None:
    clinic = Clinic()
    order = NewOrder(
        "methadone", Decimal(60), "mg", "oral", Schedule(), NOW.date(),
        occurred_at=NOW + timedelta(days=30),
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        clinic.run(commands.prescribe(clinic.stamp(), client_id=clinic.client_id, order=order))
    assert (refused.value.field, refused.value.rule) == ("occurredAt", "not-in-future")
    assert clinic.events()[-1].type == "care.ClientEnrolled"


def test_a_stop_time_is_checked_before_the_order() -> None:
    clinic = Clinic()
    order = clinic.prescribe("sertraline", "50").id
    with pytest.raises(InvalidInput) as refused:
        clinic.run(
            commands.discontinue_order(
                clinic.stamp(), client_id=clinic.client_id, order_id=order, reason="x",
                stopped_at=datetime(2025, 12, 1, tzinfo=UTC),
            )
        )  # fmt: skip
    assert (refused.value.field, refused.value.rule) == ("stoppedAt", "after-enrolment")
    assert date(2025, 12, 1) < ENROLLED.date()
