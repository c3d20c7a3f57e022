"""The missed-dose sweep counts no day before the client's enrolment: an order dated from
before it was found missed on every day since, days on which no dose could be recorded here
(a dose before enrolment is refused), and held at once. Such an order is refused now
(``after-enrolment``); one recorded before that still meets the sweep, as here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from in_memory import InMemory
from medication_story import INDUCTED

from carecoord.events import Actor, CareEvent, Role, Schedule
from carecoord.events.medication import DoseMissed, OrderHeld
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import commands, prescribing
from carecoord.services.medication.induction import INITIAL_DOSE
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.rules import DEFAULT_RULES

DOCTOR = Actor(id="dr-lee", role=Role.PRESCRIBER)
ENROLLED = datetime(2026, 3, 10, 8, tzinfo=UTC)
NOW = datetime(2026, 3, 11, 9, tzinfo=UTC)


class Clinic(InMemory):
    def __init__(self) -> None:
        super().__init__()
        self.client_id = self.run(
            enroll_client(self.stamp(), display_name="Sam", program="OTP", occurred_at=ENROLLED)
        )

    def stamp(self) -> Stamp:
        return Stamp(DOCTOR, clock=lambda: NOW)

    def prescribe(self, start: date) -> None:
        order = NewOrder(
            "methadone", Decimal(60), "mg", "oral", Schedule(), start,
            acknowledgements={INITIAL_DOSE: INDUCTED},
        )  # fmt: skip
        entered = Stamp(DOCTOR, clock=lambda: ENROLLED + timedelta(hours=1))  # on enrolment
        record = self.run(lambda uow: uow.get(MedicationRecord, self.client_id))
        prescribing.prescribe(record, entered, DEFAULT_RULES, uuid4(), order)  # past the command

    def sweep(self) -> int:
        return self.run(
            commands.detect_missed_doses(self.stamp(), client_id=self.client_id, today=NOW.date())
        )

    def events(self) -> list[CareEvent]:
        return [r.event for a in self.touched.values() for r in a.pending]


def test_an_order_dated_before_enrolment_is_missed_only_from_the_enrolment_day() -> None:
    clinic = Clinic()
    clinic.prescribe(ENROLLED.date() - timedelta(days=20))

    assert clinic.sweep() == 1

    missed = [e for e in clinic.events() if isinstance(e, DoseMissed)]
    assert [(e.day, e.consecutive_days) for e in missed] == [(ENROLLED.date(), 1)]
    assert not [e for e in clinic.events() if isinstance(e, OrderHeld)]
