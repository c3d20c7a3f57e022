"""Take-home bottles the client brings back: counted before a second staff member and
destroyed, never dispensed again (42 CFR 8.12(i): take-homes are controlled against
diversion; a stop or a hold recalls them, ``alerts/recall.py``).

A return is a new event beside the hand-over, which stays as charted: the bottles are no
longer out, and one returned full frees its day (its dose was not taken), so a new order of
the medication may start on it (``start-after-last-dispensed``). The stock ledger is not
touched: the doses left their lot when drawn for the hand-over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from carecoord.events import Role, amounts
from carecoord.events.medication import (
    ReturnedBottle,
    TakeHomeBottle,
    TakeHomeReturned,
    TakeHomeReturnWitnessed,
)
from carecoord.services.kernel.access import MAY_RECORD, Action
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.orders import Order
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stock.movements import witnessed_by_another


@dataclass(frozen=True, slots=True)
class BottleBack:
    """A bottle as the nurse reads it back: the hand-over, the day and slot on its label, its
    lot, and what is left in it (None: untouched, the dose it was handed over with)."""

    dispense_id: UUID
    day: date
    slot: int
    lot: str
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Returned:
    """A return recorded (``return_id``), and the bottles a recall may name still out after
    it (``alerts/recall.py``, ``still_out``): none, and the recall is resolved."""

    return_id: UUID
    still_out: tuple[tuple[UUID, TakeHomeBottle], ...]
    """Each bottle with the take-home it was handed over in."""


@dataclass(frozen=True, slots=True)
class TakeHomeReturn:
    bottles: tuple[BottleBack, ...]
    witness_id: str
    returned_at: datetime | None = None


def record_return(
    record: MedicationRecord,
    stamp: Stamp,
    rules: MedicationRules,
    given: TakeHomeReturn,
    returned_at: datetime,
    witness_suspended: bool,
    witness_role: Role | None,
) -> UUID:
    """Record ``given`` (at ``returned_at``, checked against now by the command): every bottle
    handed over under one order, out (not marked in error nor returned), once, with its lot
    and no more than it held, after its hand-over's day; the witness another person, whose
    access is not suspended (``witness_suspended``: staff who left are no witness), on the
    client's care team now in a role that confirms a return (``witness_role``: anyone else
    was named and could never confirm it, a write on the client's record)."""
    witnessed_by_another(stamp, given.witness_id)
    if witness_role not in MAY_RECORD[Action.WITNESS_TAKE_HOME_RETURN]:
        roles = " or ".join(
            sorted(role.value for role in MAY_RECORD[Action.WITNESS_TAKE_HOME_RETURN])
        )
        raise RuleViolation(
            "witnessId",
            "witness-on-care-team",
            f"the witness confirms the return under their own login, as a {roles} on the"
            " client's care team; name such a member (a program admin adds them)",
        )
    if witness_suspended:
        raise RuleViolation(
            "witnessId",
            "witness-suspended",
            "the witness's access is suspended by a program admin: a witness is staff with"
            " access; name another",
        )
    if not given.bottles:
        raise InvalidInput("bottles", "bottles-required", "name at least one bottle returned")
    day = rules.day_of(returned_at)
    order: Order | None = None
    back: list[ReturnedBottle] = []
    for n, bottle in enumerate(given.bottles):
        field = f"bottles.{n}"
        found = record.take_home_order(bottle.dispense_id, f"{field}.dispenseId")
        if order is not None and found.order_id != order.order_id:
            raise RuleViolation(
                f"{field}.dispenseId",
                "one-order-per-return",
                f"take-home {bottle.dispense_id} was handed over under order {found.order_id},"
                f" the other bottles under order {order.order_id}; record a return per order",
            )
        order = found
        back.append(_back(order, bottle, field, day, rules))
        key = (bottle.dispense_id, bottle.day, bottle.slot)
        if any((b.dispense_id, b.day, b.slot) == key for b in given.bottles[:n]):
            raise InvalidInput(
                f"{field}.day", "bottle-once", f"the bottle for {bottle.day} is named twice"
            )
    assert order is not None
    return_id = uuid4()
    handed = order.handed_over[back[0].dispense_id]
    record.record(
        stamp.event(
            TakeHomeReturned,
            record.client_id,
            returned_at,
            order_id=order.order_id,
            medication=order.medication,
            unit=order.unit,
            dosage_form=handed.dosage_form,
            strength=handed.strength,
            dea_schedule=handed.dea_schedule,
            site=handed.site,
            return_id=return_id,
            bottles=tuple(back),
            witness_id=given.witness_id.strip(),
            day=day,
        )
    )
    return return_id


def witness_return(record: MedicationRecord, stamp: Stamp, return_id: UUID) -> None:
    """The witness the return ``return_id`` named confirms it under their own credentials:
    that person, and once, as a stock waste's witness does (``Attestation``). A suspended
    witness's request is refused before it reaches here (``user-suspended``)."""
    if return_id not in record.returns:
        raise NotFound(
            "returnId", "unknown-return", f"no take-home return {return_id} for this client"
        )
    returned, attestation = record.returns[return_id]
    attestation.confirmable_by(stamp.actor.id, "returnId")
    record.record(
        stamp.event(
            TakeHomeReturnWitnessed,
            record.client_id,
            stamp.clock(),
            order_id=returned.order_id,
            medication=returned.medication,
            return_id=return_id,
            unit=returned.unit,
            bottles=returned.bottles,
        )
    )


def _back(
    order: Order, given: BottleBack, field: str, day: date, rules: MedicationRules
) -> ReturnedBottle:
    """The bottle ``given`` names as it was handed over, checked out and whole enough."""
    dispense_id = given.dispense_id
    if dispense_id in order.take_home_in_error:
        marked = order.take_home_in_error[dispense_id].note(rules.zone)
        raise RuleViolation(
            f"{field}.dispenseId",
            "bottle-out",
            f"take-home {dispense_id} was marked entered in error {marked}: its bottles"
            " were never out",
        )
    handed = order.handed_over[dispense_id]
    bottle = next((b for b in handed.bottles if (b.day, b.slot) == (given.day, given.slot)), None)
    if bottle is None:
        raise NotFound(
            f"{field}.day",
            "unknown-bottle",
            f"take-home {dispense_id} has no bottle for {given.day} slot {given.slot}",
        )
    if (dispense_id, bottle.day, bottle.slot) in order.returned:
        raise RuleViolation(
            f"{field}.day",
            "bottle-out",
            f"the bottle of take-home {dispense_id} for {bottle.day} slot {bottle.slot} was"
            " already returned",
        )
    if day < handed.day:
        raise InvalidInput(
            "returnedAt",
            "returned-after-handed-over",
            f"take-home {dispense_id} was handed over on {handed.day}; it is returned then"
            " or later",
        )
    if given.lot.strip().casefold() != bottle.lot.casefold():
        raise RuleViolation(
            f"{field}.lot",
            "returned-lot",
            f"the bottle for {bottle.day} slot {bottle.slot} was handed over from lot"
            f" {bottle.lot}; read the lot off its label",
        )
    amount = bottle.amount if given.amount is None else given.amount
    if not 0 <= amount <= bottle.amount:
        raise InvalidInput(
            f"{field}.amount",
            "returned-amount",
            f"the bottle held {amounts.shown(bottle.amount)} {order.unit}; what is left in it"
            " is 0 to that",
        )
    return ReturnedBottle(
        dispense_id=dispense_id,
        day=bottle.day,
        slot=bottle.slot,
        bottle=bottle.bottle,
        lot=bottle.lot,
        amount=amount,
        full=amount == bottle.amount,
    )
