"""The dosing view: per client and order, what happened on each dosing day.

One row per fact about a slot or an order's availability: a dose given, a replacement,
a dose not given, each take-home bottle (on the day it covers), a missed day (counted as
missed only while no dose, given or not given, is recorded for its day and order:
``unexplained``), a hold placed or lifted, an order back in force (from its day: the
order that replaced it was entered in error), a dose entered in error (its own row, on
the dose's day and slot, naming the dose in ``ref_id``: the dose's row stays as it was),
a take-home entered in error (a row of its own beside each of its bottles', naming the
hand-over in ``ref_id``), a take-home bottle returned (a row of its own beside the bottle's,
naming the hand-over in ``ref_id``, with what was left in it, and another when the return's
witness confirms it), and a dose not given entered
in error (its own row, naming in ``ref_id`` the dose not given, whose row names itself there
by its event's id; one projected before it did has none until the view is rebuilt, and no
mark finds it).
Days in treatment and take-home supply are read from these rows, a dose or take-home
entered in error not counting, nor a bottle returned.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events.medication import (
    DoseAdministered,
    DoseEnteredInError,
    DoseMissed,
    DoseNotGiven,
    DoseNotGivenEnteredInError,
    OrderHeld,
    OrderReinstated,
    OrderResumed,
    TakeHomeDispensed,
    TakeHomeEnteredInError,
    TakeHomeReturned,
    TakeHomeReturnWitnessed,
)
from carecoord.events.positioned import Positioned
from carecoord.projections.appended import Numbered, Row, append, appended_ddl, columns, copied
from carecoord.projections.generations import columns_added, generation_table
from carecoord.projections.rows import fetch

NAME = "dosing"
VERSION = 5
"""2: a dose not given carries its own id (entryId), and one marked entered in error leaves
the day it explained. 3: each row keeps its writer's role, by which its reason is shown
(``TOLD``). 4: a take-home bottle returned has a row (``RETURNED``). 5: and one when the
return's witness confirms it (``WITNESSED``)."""
ORDERS = "medications"
"""The medications view, whose order rows say how long a take-home bottle lasts."""
READS = (DoseAdministered, DoseEnteredInError, TakeHomeDispensed, TakeHomeEnteredInError,
         TakeHomeReturned, TakeHomeReturnWitnessed, DoseNotGiven, DoseNotGivenEnteredInError,
         DoseMissed, OrderHeld, OrderResumed, OrderReinstated)  # fmt: skip
"""The events ``rows`` reads (a rebuild builds rows of no other for it)."""


class Dose(Numbered):
    """A fact about a dosing slot or an order's availability (``status``)."""

    client_id: UUID
    order_id: UUID
    medication: str
    day: date
    slot: int
    status: str
    amount: Decimal | None
    unit: str
    detail: str
    ref_id: UUID | None
    occurred_at: datetime
    actor_id: str
    actor_role: str


COLUMNS = columns(Dose)
IN_ERROR = "entered-in-error"
"""The status of the row that marks the dose ``ref_id`` names as entered in error."""
TAKE_HOME_IN_ERROR = "take-home-in-error"
"""The status of the row, one per bottle, that marks the take-home ``ref_id`` names as
entered in error: on the bottle's day and slot, so ``standing`` finds it as a dose's mark."""
RETURNED = "take-home-returned"
"""The status of the row, one per bottle returned, beside that bottle's (its day and slot,
the take-home in ``ref_id``): the bottle is no longer out, and ``amount`` was left in it."""
WITNESSED = "take-home-return-witnessed"
"""The status of the row, one per bottle of a return, beside its ``RETURNED`` row (its day,
slot and take-home): the witness the return named confirmed it under their own credentials."""
NOT_GIVEN_IN_ERROR = "not-given-in-error"
"""The status of the row that marks the dose not given ``ref_id`` names as entered in error."""
MARKS = (IN_ERROR, TAKE_HOME_IN_ERROR, NOT_GIVEN_IN_ERROR)
"""The statuses of the rows that mark what ``ref_id`` names as entered in error."""
NOT_GIVEN = "not-given"
GIVEN = "given"
MISSED = "missed"
"""A day the missed-dose rule found with no dose. One a dose not given was recorded for
since, under the same order (charted late), counts as not given and not as missed
(``unexplained``): the row stays, as the rule's finding stays on the record."""
BACK_IN_FORCE = "back-in-force"
"""The status of the row saying an order is dosed again from its day, as the order that
replaced it (``ref_id``) was entered in error."""
TOLD = ("replacement", *MARKS, "hold-placed", "hold-lifted", BACK_IN_FORCE)
"""The statuses whose ``detail`` tells the writer's reason, free text shown only to a reader
whose grant holds all the writer's role (``actor_role``) reads."""


table = generation_table(NAME)


ddl = columns_added(
    NAME,
    appended_ddl(NAME, Dose, {"client_day": "(client_id, day, slot)"}),
    {"actor_role": "text NOT NULL DEFAULT ''"},  # version 2 had none: its rebuild derives them
)


def rows(item: Positioned) -> Iterator[Row]:
    e = item.event
    common = (e.occurred_at, e.actor.id, e.actor.role.value)
    if isinstance(e, DoseAdministered):
        status = GIVEN if e.replaces_dose_id is None else "replacement"
        detail = e.replacement_reason
        yield (e.client_id, e.order_id, e.medication, e.day, e.slot, status, e.amount, e.unit,
               detail, e.dose_id, *common)  # fmt: skip
    elif isinstance(e, DoseEnteredInError):
        yield (e.client_id, e.order_id, e.medication, e.day, e.slot, IN_ERROR, e.amount, e.unit,
               e.reason, e.dose_id, *common)  # fmt: skip
    elif isinstance(
        e, TakeHomeDispensed | TakeHomeEnteredInError | TakeHomeReturned | TakeHomeReturnWitnessed
    ):
        yield from _bottle_rows(e, common)
    elif isinstance(e, DoseNotGiven):
        yield (e.client_id, e.order_id, e.medication, e.day, e.slot, NOT_GIVEN, None, "",
               e.reason.value, e.event_id, *common)  # fmt: skip
    elif isinstance(e, DoseNotGivenEnteredInError):
        yield (e.client_id, e.order_id, e.medication, e.day, e.slot, NOT_GIVEN_IN_ERROR, None,
               "", e.reason, e.entry_id, *common)  # fmt: skip
    elif isinstance(e, DoseMissed):
        yield (e.client_id, e.order_id, e.medication, e.day, 0, MISSED, None, "",
               f"{e.consecutive_days} in a row ({e.rule_id} v{e.rule_version})", None,
               *common)  # fmt: skip
    elif isinstance(e, OrderHeld | OrderResumed):
        status = "hold-placed" if isinstance(e, OrderHeld) else "hold-lifted"
        day = e.day or e.occurred_at.date()  # the program's day; UTC's in older events
        yield (e.client_id, e.order_id, e.medication, day, 0, status, None, "", e.reason, None,
               *common)  # fmt: skip
    elif isinstance(e, OrderReinstated):
        detail = f"order {e.in_error_order_id} entered in error: {e.reason}"
        yield (e.client_id, e.order_id, e.medication, e.start, 0, BACK_IN_FORCE, None, "", detail,
               e.in_error_order_id, *common)  # fmt: skip


def _bottle_rows(
    e: TakeHomeDispensed | TakeHomeEnteredInError | TakeHomeReturned | TakeHomeReturnWitnessed,
    common: tuple[object, ...],
) -> Iterator[Row]:
    """A row per bottle: handed over, marked in error with its take-home, returned, or its
    return witnessed."""
    if isinstance(e, TakeHomeReturned | TakeHomeReturnWitnessed):
        for r in e.bottles:
            status, detail = (
                (RETURNED, f"bottle {r.bottle}, lot {r.lot}, destroyed before {e.witness_id}")
                if isinstance(e, TakeHomeReturned)
                else (WITNESSED, f"bottle {r.bottle}, return {e.return_id}")
            )
            yield (e.client_id, e.order_id, e.medication, r.day, r.slot, status,
                   r.amount if status == RETURNED else None, e.unit, detail, r.dispense_id,
                   *common)  # fmt: skip
        return
    for b in e.bottles:
        status, detail = (
            ("take-home", f"bottle {b.bottle}, lot {b.lot}")
            if isinstance(e, TakeHomeDispensed)
            else (TAKE_HOME_IN_ERROR, e.reason)
        )
        yield (e.client_id, e.order_id, e.medication, b.day, b.slot, status, b.amount, e.unit,
               detail, e.dispense_id, *common)  # fmt: skip


COPIED = copied(COLUMNS, rows)


async def apply(conn: AsyncConnection, generation: int, batch: Sequence[Positioned]) -> None:
    await append(conn, table(generation), COLUMNS, batch, rows)


async def of_client(
    pool: AsyncConnectionPool,
    client_id: UUID,
    from_day: date | None,
    to_day: date | None,
    limit: int | None = None,
) -> list[Dose]:
    """A client's rows for the days ``from_day`` to ``to_day`` (each bound optional), by day
    and then in log order; the first ``limit`` (all when None)."""
    query = sql.SQL(
        "SELECT * FROM {} WHERE client_id = %s"
        " AND (%s::date IS NULL OR day >= %s) AND (%s::date IS NULL OR day <= %s)"
        " ORDER BY day, position, seq LIMIT %s"
    ).format(sql.Identifier(NAME))
    params = [client_id, from_day, from_day, to_day, to_day, limit]
    return await fetch(pool, Dose, query, params)


def standing(dose: str, marks: Sequence[str] = MARKS) -> sql.Composed:
    """A condition on the dosing row aliased ``dose``: no row marks it (a dose, a take-home
    bottle or a dose not given) entered in error, or with another of ``marks`` (the mark has
    the row's client, day and slot, so the view's index finds it)."""
    return sql.SQL(
        "NOT EXISTS (SELECT 1 FROM {view} x WHERE x.client_id = {d}.client_id"
        " AND x.day = {d}.day AND x.slot = {d}.slot AND x.status IN ({marks})"
        " AND x.ref_id = {d}.ref_id)"
    ).format(
        view=sql.Identifier(NAME),
        d=sql.Identifier(dose),
        marks=sql.SQL(", ").join(sql.Literal(m) for m in marks),
    )


def taken(dose: str) -> sql.Composed:
    """A condition on the dosing row aliased ``dose``: it stands (``standing``) and is not a
    take-home bottle brought back whole (a ``RETURNED`` row of its take-home, day and slot
    with all its amount left): its dose was not taken."""
    return sql.SQL(
        "{standing} AND NOT EXISTS (SELECT 1 FROM {view} r WHERE r.client_id = {d}.client_id"
        " AND r.day = {d}.day AND r.slot = {d}.slot AND r.status = {returned}"
        " AND r.ref_id = {d}.ref_id AND r.amount = {d}.amount)"
    ).format(
        standing=standing(dose),
        view=sql.Identifier(NAME),
        d=sql.Identifier(dose),
        returned=sql.Literal(RETURNED),
    )


def unexplained(missed: str) -> sql.Composed:
    """A condition on the ``missed`` row aliased ``missed``: no dose not given and no dose
    given that stands was recorded for its day under its order (one charted after the sweep
    found the day explains it, or shows the day was dosed)."""
    return sql.SQL(
        "NOT EXISTS (SELECT 1 FROM {view} n WHERE n.client_id = {m}.client_id"
        " AND n.day = {m}.day AND n.order_id = {m}.order_id"
        " AND n.status IN ({not_given}, {given}) AND {standing})"
    ).format(
        view=sql.Identifier(NAME),
        m=sql.Identifier(missed),
        not_given=sql.Literal(NOT_GIVEN),
        given=sql.Literal(GIVEN),
        standing=standing("n"),
    )


class Treatment(TypedDict):
    first_dose: date | None
    supply: int


async def treatment(
    pool: AsyncConnectionPool, client_id: UUID, today: date, since: date | None
) -> Treatment:
    """A client's first observed dose day (of a dose not entered in error) on or after
    ``since`` (the readmission's day: the doses of an earlier episode count for nothing), and
    the take-home days they hold from ``today`` (of take-homes not entered in error, bottles
    not returned): each bottle lasts to the next dosing day of its order (``Order.lasts``),
    two days on an every-other-day one."""
    query = sql.SQL(
        "SELECT min(d.day) FILTER (WHERE d.status = 'given' AND d.day >= %s AND {standing})"
        " AS first_dose,"
        " count(DISTINCT d.day + n) FILTER (WHERE d.status = 'take-home' AND d.day + n >= %s"
        " AND {held}) AS supply"
        " FROM {view} d LEFT JOIN {orders} o ON o.id = d.order_id AND d.status = 'take-home',"
        " generate_series(0, coalesce((o.details #>> '{{schedule,every_days}}')::int, 1) - 1) n"
        " WHERE d.client_id = %s"
    ).format(
        view=sql.Identifier(NAME),
        orders=sql.Identifier(ORDERS),
        standing=standing("d"),
        held=standing("d", (*MARKS, RETURNED)),
    )
    [found] = await fetch(pool, Treatment, query, [since or date.min, today, client_id])
    return found
