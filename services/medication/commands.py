"""Commands on a client's medications: load the records involved, decide, record.

Each returns a ``Command`` for the bus; the decisions are in ``prescribing.py`` and
``dispensing.py``. Ids are drawn when the command is built so a retry after a conflict
records the same ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar
from uuid import UUID, uuid4

from carecoord.events.medication import (
    Dispensing,
    InteractionFound,
    NotGivenReason,
    Schedule,
    StatementSource,
    TakeHomeCriterion,
    TaperStep,
)
from carecoord.services.care.record import ClientRecord
from carecoord.services.commands import Command, UnitOfWork
from carecoord.services.medication import dispensing, prescribing
from carecoord.services.medication.dispensing import Bottle
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.rules import DEFAULT_RULES, MedicationRules
from carecoord.services.stamp import Stamp

T = TypeVar("T")
NO_ACKNOWLEDGEMENTS: Mapping[str, str] = {}


@dataclass(frozen=True, slots=True)
class Written:
    """A new order or statement, and the interaction findings recorded with it."""

    id: UUID
    findings: tuple[InteractionFound, ...] = ()


def on_record(client_id: UUID, decide: Callable[[MedicationRecord, ClientRecord], T]) -> Command[T]:
    """A command on an enrolled client's medication record."""

    def run(uow: UnitOfWork) -> T:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        return decide(uow.get(MedicationRecord, client_id), client)

    return run


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
    dispensing: Dispensing | None = None,
    acknowledgements: Mapping[str, str] = NO_ACKNOWLEDGEMENTS,
    occurred_at: datetime | None = None,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[Written]:
    order_id = uuid4()
    new = NewOrder(medication, dose, unit, route, schedule, start, end, indication, dispensing)

    def decide(record: MedicationRecord, _: ClientRecord) -> Written:
        found = prescribing.prescribe(
            record, stamp, rules, order_id, new, acknowledgements, occurred_at
        )
        return Written(order_id, tuple(found))

    return on_record(client_id, decide)


def change_dose(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    dose: Decimal,
    start: date,
    schedule: Schedule | None = None,
    reason: str = "",
    acknowledgements: Mapping[str, str] = NO_ACKNOWLEDGEMENTS,
    occurred_at: datetime | None = None,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[Written]:
    new_id = uuid4()

    def decide(record: MedicationRecord, _: ClientRecord) -> Written:
        found = prescribing.change_dose(
            record,
            stamp,
            rules,
            new_id,
            order_id,
            dose=dose,
            start=start,
            schedule=schedule,
            reason=reason,
            acknowledgements=acknowledgements,
            occurred_at=occurred_at,
        )
        return Written(new_id, tuple(found))

    return on_record(client_id, decide)


def taper_order(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    steps: tuple[TaperStep, ...],
    end: date | None = None,
    blind: bool = False,
    reason: str = "",
    acknowledgements: Mapping[str, str] = NO_ACKNOWLEDGEMENTS,
    occurred_at: datetime | None = None,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[Written]:
    new_id = uuid4()

    def decide(record: MedicationRecord, _: ClientRecord) -> Written:
        found = prescribing.taper(
            record,
            stamp,
            rules,
            new_id,
            order_id,
            steps=steps,
            end=end,
            blind=blind,
            reason=reason,
            acknowledgements=acknowledgements,
            occurred_at=occurred_at,
        )
        return Written(new_id, tuple(found))

    return on_record(client_id, decide)


def hold_order(stamp: Stamp, *, client_id: UUID, order_id: UUID, reason: str) -> Command[UUID]:
    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        prescribing.hold(record, stamp, order_id, reason)
        return order_id

    return on_record(client_id, decide)


def resume_order(stamp: Stamp, *, client_id: UUID, order_id: UUID, reason: str) -> Command[UUID]:
    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        prescribing.resume(record, stamp, order_id, reason)
        return order_id

    return on_record(client_id, decide)


def discontinue_order(
    stamp: Stamp, *, client_id: UUID, order_id: UUID, reason: str, in_error: bool = False
) -> Command[UUID]:
    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        prescribing.discontinue(record, stamp, order_id, reason, in_error=in_error)
        return order_id

    return on_record(client_id, decide)


def record_statement(
    stamp: Stamp,
    *,
    client_id: UUID,
    medication: str,
    source: StatementSource,
    dose: Decimal | None = None,
    unit: str = "",
    source_detail: str = "",
    since: date | None = None,
    occurred_at: datetime | None = None,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[Written]:
    statement_id = uuid4()

    def decide(record: MedicationRecord, _: ClientRecord) -> Written:
        found = prescribing.record_statement(
            record,
            stamp,
            rules,
            statement_id,
            medication=medication,
            dose=dose,
            unit=unit,
            source=source,
            source_detail=source_detail,
            since=since,
            occurred_at=occurred_at,
        )
        return Written(statement_id, tuple(found))

    return on_record(client_id, decide)


def end_statement(
    stamp: Stamp, *, client_id: UUID, statement_id: UUID, reason: str = ""
) -> Command[UUID]:
    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        prescribing.end_statement(record, stamp, statement_id, reason)
        return statement_id

    return on_record(client_id, decide)


def determine_take_home_eligibility(
    stamp: Stamp,
    *,
    client_id: UUID,
    max_days: int,
    criteria: tuple[TakeHomeCriterion, ...],
    basis: str = "",
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        prescribing.determine_eligibility(
            record,
            stamp,
            max_days=max_days,
            criteria=criteria,
            basis=basis,
            occurred_at=occurred_at,
        )
        return client_id

    return on_record(client_id, decide)


def administer_dose(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    amount: Decimal,
    dosage_form: str,
    slot: int = 1,
    given_at: datetime | None = None,
    lot: str = "",
    bottle: str = "",
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[UUID]:
    dose_id = uuid4()

    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        dispensing.administer(
            record,
            stamp,
            rules,
            dose_id=dose_id,
            order_id=order_id,
            amount=amount,
            dosage_form=dosage_form,
            slot=slot,
            given_at=given_at or stamp.clock(),
            lot=lot,
            bottle=bottle,
        )
        return dose_id

    return on_record(client_id, decide)


def replace_dose(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    replaces_dose_id: UUID,
    amount: Decimal,
    dosage_form: str,
    reason: str,
    given_at: datetime | None = None,
    lot: str = "",
    bottle: str = "",
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[UUID]:
    dose_id = uuid4()

    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        dispensing.replace_dose(
            record,
            stamp,
            rules,
            dose_id=dose_id,
            order_id=order_id,
            replaces_dose_id=replaces_dose_id,
            amount=amount,
            dosage_form=dosage_form,
            reason=reason,
            given_at=given_at or stamp.clock(),
            lot=lot,
            bottle=bottle,
        )
        return dose_id

    return on_record(client_id, decide)


def record_dose_not_given(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    reason: NotGivenReason,
    slot: int = 1,
    note: str = "",
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        dispensing.not_given(
            record,
            stamp,
            order_id=order_id,
            slot=slot,
            reason=reason,
            note=note,
            occurred_at=occurred_at or stamp.clock(),
        )
        return order_id

    return on_record(client_id, decide)


def dispense_take_home(
    stamp: Stamp,
    *,
    client_id: UUID,
    order_id: UUID,
    first_day: date,
    days: int,
    dosage_form: str,
    bottles: tuple[Bottle, ...],
    handed_over_at: datetime | None = None,
    rules: MedicationRules = DEFAULT_RULES,
) -> Command[UUID]:
    dispense_id = uuid4()

    def decide(record: MedicationRecord, client: ClientRecord) -> UUID:
        dispensing.dispense_take_home(
            record,
            stamp,
            rules,
            program=client.program,
            dispense_id=dispense_id,
            order_id=order_id,
            first_day=first_day,
            days=days,
            dosage_form=dosage_form,
            bottles=bottles,
            handed_over_at=handed_over_at or stamp.clock(),
        )
        return dispense_id

    return on_record(client_id, decide)


def arrange_guest_dosing(
    stamp: Stamp, *, client_id: UUID, site: str, start: date, end: date
) -> Command[UUID]:
    guest_dosing_id = uuid4()

    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        dispensing.arrange_guest_dosing(
            record, stamp, guest_dosing_id=guest_dosing_id, site=site, start=start, end=end
        )
        return guest_dosing_id

    return on_record(client_id, decide)


def end_guest_dosing(
    stamp: Stamp, *, client_id: UUID, guest_dosing_id: UUID, ended_on: date, reason: str = ""
) -> Command[UUID]:
    def decide(record: MedicationRecord, _: ClientRecord) -> UUID:
        dispensing.end_guest_dosing(
            record, stamp, guest_dosing_id=guest_dosing_id, ended_on=ended_on, reason=reason
        )
        return guest_dosing_id

    return on_record(client_id, decide)


def detect_missed_doses(
    stamp: Stamp, *, client_id: UUID, today: date, rules: MedicationRules = DEFAULT_RULES
) -> Command[int]:
    """Record the client's missed dosing days before ``today``; the count of new ones."""
    return on_record(
        client_id, lambda record, _: dispensing.record_missed(record, stamp, rules, today)
    )
