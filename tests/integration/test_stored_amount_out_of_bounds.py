"""A prescription written into the store by hand with a dose past any amount (1E+400), a dose
change with such a prior dose, an override with such an attempted dose: the projector sets
each aside as an event that does not decode, names its position and carries on; no read
model shows the dose."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

import psycopg
from psycopg import sql
from undecodable import store_a_changed_copy

from carecoord.events import Actor, Role, Schedule
from carecoord.events.amounts import AMOUNT_MAX
from carecoord.projections import medication_safety, medications
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.commands import Outcome
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import commands
from carecoord.services.medication.commands import Written
from carecoord.services.medication.prescribing import DoseChange, NewOrder
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
DOCTOR = Stamp(Actor(id="dr-1", role=Role.PRESCRIBER))


async def on_methadone(
    platform: Platform, today: date, name: str = "Ana"
) -> tuple[UUID, Outcome[Written]]:
    """A new client and their methadone order, 40 mg from ``today``: the client's id and the
    prescription's outcome."""
    bus = platform.bus
    client_id = (await bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))).result
    order = NewOrder("methadone", Decimal(40), "mg", "oral", Schedule(), today)
    prescribed = await bus.execute(
        commands.prescribe(DOCTOR, client_id=client_id, order=order, rules=platform.medication)
    )
    return client_id, prescribed


async def test_a_stored_dose_past_any_amount_is_set_aside(platform: Platform, today: date) -> None:
    bus = platform.bus
    client_id, prescribed = await on_methadone(platform, today)
    bad = await asyncio.to_thread(
        store_a_changed_copy,
        platform,
        {"order_id": str(uuid.uuid4()), "dose": "1E+400"},
        prescribed.position,
    )
    last = await bus.execute(enroll_client(ADMIN, display_name="Jo", program="OTP"))

    assert await platform.progress.reach(medications.NAME, last.position, 10)
    async with platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT details->>'dose' FROM medications WHERE client_id = %s", (client_id,)
        )
        shown = await cur.fetchall()
        cur = await conn.execute(
            "SELECT error FROM parked_events WHERE follower = %s AND position = %s",
            (medications.NAME, bad),
        )
        parked = await cur.fetchall()
    assert shown == [("40",)]
    assert parked == [("ValidationError",)]


async def test_a_stored_prior_dose_or_attempted_dose_past_any_amount_is_set_aside(
    platform: Platform, today: date
) -> None:
    """A dose change's ``prior_dose`` and a safety event's attempted dose are amounts too:
    each past the bound is set aside as an event that does not decode, and the followers
    carry on."""
    bus = platform.bus
    enrolled = await bus.execute(enroll_client(ADMIN, display_name="Ana", program="OTP"))
    client_id = enrolled.result
    cap = {"methadone-initial-dose": "opioid tolerance confirmed"}
    order = NewOrder("methadone", Decimal(60), "mg", "oral", Schedule(), today)
    order = replace(order, acknowledgements=cap)
    prescribed = await bus.execute(
        commands.prescribe(DOCTOR, client_id=client_id, order=order, rules=platform.medication)
    )
    change = DoseChange(prescribed.result.id, Decimal(45), today)
    await bus.execute(
        commands.change_dose(DOCTOR, client_id=client_id, change=change, rules=platform.medication)
    )
    changed, override = await asyncio.to_thread(_positions, platform, enrolled.position)
    past = str(AMOUNT_MAX + 1)
    bad_change = await asyncio.to_thread(
        store_a_changed_copy,
        platform,
        {"order_id": str(uuid.uuid4()), "prior_dose": past},
        changed,
    )
    attempted = {"action": "prescribe", "medication": "methadone", "dose": past}
    bad_override = await asyncio.to_thread(
        store_a_changed_copy,
        platform,
        {"finding_id": str(uuid.uuid4()), "attempted": attempted},
        override,
    )
    last = await bus.execute(enroll_client(ADMIN, display_name="Jo", program="OTP"))

    for name in (medications.NAME, medication_safety.NAME):
        assert await platform.progress.reach(name, last.position, 10)
    async with platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT follower, position, error FROM parked_events WHERE position IN (%s, %s)"
            " AND follower IN (%s, %s) ORDER BY position, follower",
            (bad_change, bad_override, medications.NAME, medication_safety.NAME),
        )
        parked = await cur.fetchall()
        cur = await conn.execute(
            "SELECT count(*) FROM medication_safety WHERE client_id = %s", (client_id,)
        )
        safety = await cur.fetchone()
    assert parked == [
        (name, position, "ValidationError")
        for position in (bad_change, bad_override)
        for name in (medication_safety.NAME, medications.NAME)
    ]
    assert safety == (1,)


def _positions(platform: Platform, after: int) -> tuple[int, int]:
    """The positions of the dose change and of the override recorded after ``after``."""
    found: dict[str, int] = {}
    with psycopg.connect(platform.database_url, autocommit=True) as conn:
        rows = conn.execute(
            sql.SQL("SELECT notification_id, topic FROM {} WHERE notification_id > %s").format(
                sql.Identifier(TABLE)
            ),
            (after,),
        ).fetchall()
    for position, topic in rows:
        found[topic.rsplit(".", 1)[-1]] = position
    return found["DoseChanged"], found["OverrideAcknowledged"]
