"""At most ``max_websockets_per_user`` GraphQL websockets open at once per user, across the
API processes of one database.

A socket runs at most ``MAX_OPERATIONS_PER_SOCKET`` operations, but one user could open
sockets without end, each holding its subscriptions, their feeds and their access
re-decisions. A socket counts for its user from its accepted ``connection_init`` (the
token names the user there) until it ends, whatever ends it; one more is closed at its
``connection_init`` with ``1013`` (Try Again Later) and a reason in the shape a refused
token's ``4403`` has, ``<code> <rule>: <message>``. Not ``4429``: graphql-transport-ws keeps
it for a client that sent ``connection_init`` twice, a fault the reference client (npm
``graphql-ws``) never retries, while a place comes free as soon as another of the user's
sockets ends (or, for those of a process killed without closing them, its lease runs out).

The count is the database's (``services/infrastructure/open_sockets.py``): each process
counting its own let ``carecoord api --workers N`` hold N times the cap. This process's own
count refuses first, without a statement; when the database does not answer at a connect,
the socket is admitted on it alone (a warning, ``WEBSOCKET_COUNT_UNAVAILABLE``).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID

import psycopg

from carecoord.services.infrastructure.open_sockets import OpenSockets

log = logging.getLogger("carecoord.api")

CLOSE_CODE = 1013
RULE = "websockets-per-user"


@dataclass(slots=True)
class Held:
    """One user's socket, counted until ``release``; a second release counts nothing.
    ``socket_id``: its place in the database's count (None: counted in this process only)."""

    sockets: SocketsPerUser
    user: str
    socket_id: UUID | None = None
    released: bool = False

    async def release(self) -> None:
        if not self.released:
            self.released = True
            await self.sockets.release(self)


@dataclass(slots=True)
class SocketsPerUser:
    limit: int
    shared: OpenSockets | None = None
    """The count across processes; None counts this process's sockets alone."""
    _open: Counter[str] = field(default_factory=Counter)

    async def hold(self, user: str) -> Held | None:
        """A socket counted for ``user``, or None when they have ``limit`` open already."""
        if self._open[user] >= self.limit:
            return None
        socket_id = None
        if self.shared is not None:
            try:
                socket_id = await self.shared.hold(user, self.limit)
            except psycopg.Error as failure:
                log.warning(
                    "websocket counted in this process only",
                    extra={"code": "WEBSOCKET_COUNT_UNAVAILABLE", "error": type(failure).__name__},
                )
            else:
                if socket_id is None:
                    return None
        self._open[user] += 1
        return Held(self, user, socket_id)

    async def release(self, held: Held) -> None:
        self._open[held.user] -= 1
        if self._open[held.user] <= 0:
            del self._open[held.user]  # a user gone leaves no entry behind
        if held.socket_id is not None and self.shared is not None:
            try:
                await self.shared.release(held.socket_id)
            except psycopg.Error:  # the lease's next renewal gives the place back
                log.warning(
                    "websocket's end not counted yet", extra={"code": "WEBSOCKET_COUNT_UNAVAILABLE"}
                )

    def open(self, user: str) -> int:
        return self._open[user]

    @property
    def refusal(self) -> str:
        """The close frame's reason for one socket past the limit (under 123 bytes)."""
        return (
            f"BAD_REQUEST {RULE}: at most {self.limit} websockets open at once per user;"
            " close one first"
        )
