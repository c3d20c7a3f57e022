"""A prescription stored a second time by hand, its order id the first one's and its dose
another: the event chain takes it (it chains whatever is inserted), and the medication view
kept the first dose without a word while the record decides on the last. The projector now
sets it aside for the view (``DuplicateId``), names its position and carries on. A change
stored by hand under one client naming another client's order changes no row of theirs."""

from __future__ import annotations

import asyncio
from datetime import date

from test_stored_amount_out_of_bounds import on_methadone
from undecodable import store_a_changed_copy

from carecoord.events import Actor, Role
from carecoord.projections import medications, timeline
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import commands
from carecoord.services.platform import Platform

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
DOCTOR = Stamp(Actor(id="dr-1", role=Role.PRESCRIBER))


async def test_an_order_id_stored_twice_is_set_aside(platform: Platform, today: date) -> None:
    bus = platform.bus
    client_id, prescribed = await on_methadone(platform, today)
    twice = await asyncio.to_thread(
        store_a_changed_copy, platform, {"dose": "80"}, prescribed.position
    )
    last = await bus.execute(enroll_client(ADMIN, display_name="Jo", program="OTP"))

    for name in (medications.NAME, timeline.NAME):
        assert await platform.progress.reach(name, last.position, 10)
    async with platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT details->>'dose', created_position FROM medications WHERE client_id = %s",
            (client_id,),
        )
        shown = await cur.fetchall()
        cur = await conn.execute(
            "SELECT follower, position, error FROM parked_events ORDER BY follower"
        )
        parked = await cur.fetchall()
    assert shown == [("40", prescribed.position)]
    assert parked == [(medications.NAME, twice, "DuplicateId")]


async def test_a_stop_stored_for_another_client_leaves_the_named_order_alone(
    platform: Platform, today: date
) -> None:
    """A discontinuation stored by hand under one client's id naming another client's order:
    the view's updates find a row by its id and its client, so the other client's order stays
    in force in it, as their record has it."""
    bus = platform.bus
    ids, orders = [], []
    for name in ("Ana", "Jo"):
        client_id, prescribed = await on_methadone(platform, today, name)
        ids.append(client_id)
        orders.append(prescribed.result.id)
    stopped = await bus.execute(
        commands.discontinue_order(
            DOCTOR, client_id=ids[1], order_id=orders[1], reason="tapered off",
            rules=platform.medication,
        )
    )  # fmt: skip
    forged = await asyncio.to_thread(
        store_a_changed_copy, platform, {"order_id": str(orders[0])}, stopped.position
    )

    assert await platform.progress.reach(medications.NAME, forged, 10)
    async with platform.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT client_id, status FROM medications WHERE entry = 'order' ORDER BY client_id"
            " = %s DESC",
            (ids[0],),
        )
        shown = await cur.fetchall()
    assert shown == [(ids[0], "active"), (ids[1], "stopped")]
