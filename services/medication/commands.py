"""Commands on a client's medications: load the records involved, decide, record."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from carecoord.events import Schedule
from carecoord.services.care.record import ClientRecord
from carecoord.services.commands import Command, UnitOfWork
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.stamp import Stamp


def prescribe(
    stamp: Stamp,
    *,
    client_id: UUID,
    medication: str,
    dose: Decimal,
    unit: str,
    route: str,
    schedule: Schedule,
    start: date,
    end: date | None = None,
    indication: str = "",
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    order_id = uuid4()

    def run(uow: UnitOfWork) -> UUID:
        uow.get(ClientRecord, client_id).require_enrolled()
        uow.get(MedicationRecord, client_id).prescribe(
            stamp,
            order_id=order_id,
            medication=medication,
            dose=dose,
            unit=unit,
            route=route,
            schedule=schedule,
            start=start,
            end=end,
            indication=indication,
            occurred_at=occurred_at,
        )
        return order_id

    return run


def administer_dose(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    amount: Decimal,
    dosage_form: str,
    slot: int = 1,
    given_at: datetime | None = None,
) -> Command[UUID]:
    dose_id = uuid4()

    def run(uow: UnitOfWork) -> UUID:
        uow.get(ClientRecord, client_id).require_enrolled()
        uow.get(MedicationRecord, client_id).administer(
            stamp,
            dose_id=dose_id,
            order_id=order_id,
            amount=amount,
            dosage_form=dosage_form,
            slot=slot,
            given_at=given_at or stamp.clock(),
        )
        return dose_id

    return run
