"""A prescription written into the store by hand with a dose past any amount (1E+400): the
projector sets it aside as an event that does not decode, names its position and carries on;
no read model shows the dose."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

from undecodable import store_a_changed_copy

from carecoord.events import Actor, Role, Schedule
from carecoord.projections import medications
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import commands
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
DOCTOR = Stamp(Actor(id="dr-1", role=Role.PRESCRIBER))


async def test_a_stored_dose_past_any_amount_is_set_aside(platform: Platform, today: date) -> None:
    bus = platform.bus
    client_id = (await bus.execute(enroll_client(ADMIN, display_name="Ana", program="OTP"))).result
    order = NewOrder("methadone", Decimal(40), "mg", "oral", Schedule(), today)
    prescribed = await bus.execute(
        commands.prescribe(DOCTOR, client_id=client_id, order=order, rules=platform.medication)
    )
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
