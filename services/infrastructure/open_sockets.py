"""Each user's open GraphQL websockets, counted across the API processes of one database.

Each process counted its own sockets, so N API processes (``carecoord api --workers N``, or
N containers) let one user hold N times the cap. Now an acknowledged socket is a row of
``open_websockets`` under its process's lease (``websocket_leases``), and counts while that
lease runs: a process renews it every ``RENEW_SECONDS``, so the sockets of one killed
without closing them stop counting within ``LEASE_SECONDS``. The database is asked as a
socket connects, as it ends and at each renewal, never for a message.
"""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

from psycopg_pool import AsyncConnectionPool

from carecoord.services.infrastructure.autocommit import autocommitted
from carecoord.services.infrastructure.liveness import Liveness, keep_running

LOOP = "websocket-lease"
LEASE_SECONDS = 30.0
RENEW_SECONDS = 10.0

DDL = (
    "CREATE TABLE IF NOT EXISTS websocket_leases"
    " (process_id uuid PRIMARY KEY, expires_at timestamptz NOT NULL)",
    "CREATE TABLE IF NOT EXISTS open_websockets (socket_id uuid PRIMARY KEY,"
    " user_id text NOT NULL, process_id uuid NOT NULL,"
    " opened_at timestamptz NOT NULL DEFAULT now())",
    "CREATE INDEX IF NOT EXISTS open_websockets_user ON open_websockets (user_id)",
)

_RENEW = (
    "INSERT INTO websocket_leases (process_id, expires_at)"
    " VALUES (%s, now() + make_interval(secs => %s))"
    " ON CONFLICT (process_id) DO UPDATE SET expires_at = EXCLUDED.expires_at"
)
_USER_LOCK = "SELECT pg_advisory_xact_lock(hashtext('carecoord.websockets'), hashtext(%s))"
"""Two processes admitting one user's sockets at once would both count one place free."""
_HOLD = """INSERT INTO open_websockets (socket_id, user_id, process_id)
SELECT %(socket)s, %(user)s, %(process)s WHERE (
    SELECT count(*) FROM open_websockets s JOIN websocket_leases l USING (process_id)
    WHERE s.user_id = %(user)s AND l.expires_at > now()) < %(limit)s
RETURNING socket_id"""
_FORGET_ENDED = (
    "DELETE FROM open_websockets WHERE process_id = %s AND NOT socket_id = ANY(%s::uuid[])"
)
"""A socket whose end was not recorded (the database did not answer then) is given back at
the next renewal."""
_FORGET_EXPIRED = (
    "DELETE FROM open_websockets s WHERE NOT EXISTS (SELECT FROM websocket_leases l"
    " WHERE l.process_id = s.process_id AND l.expires_at > now())",
    "DELETE FROM websocket_leases WHERE expires_at < now() - make_interval(secs => %s)",
)


class OpenSockets:
    """This process's sockets in the shared count, and the lease they count under."""

    def __init__(
        self, pool: AsyncConnectionPool, liveness: Liveness, tasks: list[asyncio.Task[None]]
    ) -> None:
        """``tasks``: where the lease's renewal joins the process's loops once it holds a
        socket (they are cancelled as it stops)."""
        self._pool = pool
        self._liveness = liveness
        self._tasks = tasks
        self._renewing: asyncio.Task[None] | None = None
        self.process_id = uuid4()
        self._held: set[UUID] = set()

    async def hold(self, user: str, limit: int) -> UUID | None:
        """A place for one more of ``user``'s sockets, or None when ``limit`` of theirs are
        open across the processes."""
        socket_id = uuid4()
        self._held.add(socket_id)  # before its row: a renewal meanwhile keeps it
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute(_RENEW, (self.process_id, LEASE_SECONDS))
                await conn.execute(_USER_LOCK, (user,))
                cur = await conn.execute(
                    _HOLD,
                    {"socket": socket_id, "user": user, "process": self.process_id,
                     "limit": limit},
                )  # fmt: skip
                held = await cur.fetchone() is not None
        except BaseException:
            self._held.discard(socket_id)
            raise
        if not held:
            self._held.discard(socket_id)
            return None
        if self._renewing is None:
            self._renewing = asyncio.create_task(
                keep_running(LOOP, self._renew, self._liveness), name=LOOP
            )
            self._tasks.append(self._renewing)
        return socket_id

    async def release(self, socket_id: UUID) -> None:
        """Give ``socket_id``'s place back; the next renewal does if the database fails now."""
        self._held.discard(socket_id)
        async with autocommitted(self._pool) as conn:
            await conn.execute("DELETE FROM open_websockets WHERE socket_id = %s", (socket_id,))

    async def _renew(self) -> None:
        """Keep this process's lease running, forgetting the sockets that ended."""
        while True:
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute(_RENEW, (self.process_id, LEASE_SECONDS))
                await conn.execute(_FORGET_ENDED, (self.process_id, list(self._held)))
                await conn.execute(_FORGET_EXPIRED[0])
                await conn.execute(_FORGET_EXPIRED[1], (LEASE_SECONDS,))
            self._liveness.progressed(LOOP)
            await asyncio.sleep(RENEW_SECONDS)
