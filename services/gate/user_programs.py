"""Whose access a program admin ends and gives back: their program's users only.

There is no directory of users, so a program knows who works in it by its care teams: a
user on the care team, now or before, of a client enrolled in the program, in any role; and
its clients are its users too (a client's token names their client id).
An admin whose token names a program suspends, reinstates and reads the access changes of
those users alone; a token that names no program acts for every program, and so for any
user (another program's admin, an auditor, a user on no care team yet).
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from psycopg import AsyncConnection, sql

from carecoord.projections import careteam, timeline
from carecoord.services.gate.gate import AccessGate
from carecoord.services.infrastructure.connection_lost import (
    once_more_when_lost,
    unavailable_when_lost,
)
from carecoord.services.kernel.errors import Forbidden, Unavailable

_WORKS_IN = sql.SQL(
    "SELECT EXISTS (SELECT 1 FROM {care_team} AS team JOIN {timeline} AS enrolled"
    " ON enrolled.client_id = team.client_id AND enrolled.type = 'care.ClientEnrolled'"
    " WHERE team.member_id = %(member)s AND enrolled.facts->>'program' = %(program)s)"
    " OR EXISTS (SELECT 1 FROM {timeline} WHERE client_id = %(client)s"
    " AND type = 'care.ClientEnrolled' AND facts->>'program' = %(program)s)"
).format(care_team=sql.Identifier(careteam.NAME), timeline=sql.Identifier(timeline.NAME))

VIEWS = (careteam.NAME, timeline.NAME)
"""The care teams, and the enrolments that name each client's program."""


@unavailable_when_lost
async def works_in(conn: AsyncConnection, user_id: str, program: str) -> bool:
    """Whether ``user_id`` is, or was, on the care team of a client enrolled in ``program``,
    or is the id of such a client (their own token's subject)."""
    try:
        client: UUID | None = UUID(user_id)
    except ValueError:
        client = None
    cur = await conn.execute(_WORKS_IN, {"member": user_id, "client": client, "program": program})
    found = await cur.fetchone()
    return bool(found and found[0])


async def manages_user(gate: AccessGate, user_id: str) -> None:
    """Refuse (``admin-program``) an admin whose token names a program acting on a user who
    works in none of its clients' care teams, before anything of the user is read: an admin
    of another program learns nothing of them (whether suspended, since when, by whom, why).
    Before refusing, the views are brought up to the store's head, so a membership recorded
    a moment ago counts; views that cannot get there in time refuse nothing (UNAVAILABLE,
    to retry), as the gate's own care-team check: a lag is no answer that the user is not
    the program's."""
    program = gate.managed_program()
    if program is None:
        return
    platform = gate.platform
    platform.progress.require_current(*VIEWS)

    async def works() -> bool:
        async def once() -> bool:
            async with platform.reads.connection() as conn:
                return await works_in(conn, user_id, program)

        return await once_more_when_lost(platform.reads, once)

    if await works():
        return
    head = await asyncio.to_thread(platform.store.last_position)
    timeout = platform.settings.read_your_writes_timeout
    reached = await asyncio.gather(*(platform.progress.reach(v, head, timeout) for v in VIEWS))
    if await works():
        return
    if not all(reached):
        raise Unavailable(
            "userId",
            "access-rules-catching-up",
            "the care teams are catching up with a recent change; retry in a moment",
        )
    raise Forbidden(
        "userId",
        gate.program_rule(),
        f"your token names program {program!r}; the user is on no care team of its clients",
    )
