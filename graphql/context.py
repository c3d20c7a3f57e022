"""Per-request context: the platform, who is asking (from the request's headers), and the
access gate that decides for them.

Resolvers of every area ask ``ctx.gate`` (``services/gate/gate.py``): ``stamp`` for what they
record, ``readable`` and ``record_read`` for what they read. None decides access itself,
and none holds SQL: they read through the queries each read model's module owns
(``projections/<view>.py``), on ``platform.reads`` (the primary, or a replica when one is set).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, TypeVar
from uuid import UUID, uuid4

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from carecoord.events import Actor, Kind
from carecoord.graphql.seqs import Seq
from carecoord.projections.rows import Shown
from carecoord.services.gate.gate import AccessGate, recorded
from carecoord.services.gate.suspensions import refusal
from carecoord.services.infrastructure.identity import ROLE_HEADER, bearer
from carecoord.services.kernel.errors import DomainError, Forbidden, InvalidInput, RuleViolation
from carecoord.services.kernel.policy import Grant
from carecoord.services.platform import Platform
from carecoord.services.users.access import access_record

CORRELATION_HEADER = "x-correlation-id"
OPERATION_CORRELATION: ContextVar[UUID | None] = ContextVar("operation_correlation", default=None)
"""The correlation id of the websocket operation this task runs (``graphql/app.py`` gives
each its own): a socket's operations share one context, and two mutations sent over it were
one request to their events, their logs and the access log."""

AtLeast = Annotated[
    Seq | None,
    strawberry.argument(description="Wait briefly until the view has this position."),
]
"""The read-your-writes argument of every query: a position a mutation returned."""

After = Annotated[
    Seq | None,
    strawberry.argument(description="Resume after this position (default: from now)."),
]
"""Where a subscription resumes: the position of the last item it delivered."""

R = TypeVar("R", bound=Mapping[str, object])


def own_kinds(rows: list[R]) -> Iterable[str]:
    """The kinds of data rows carry, each in its ``kind``."""
    return (str(r["kind"]) for r in rows)


@dataclass
class RequestContext:
    platform: Platform
    request: Request | WebSocket
    response: Response | WebSocket | None
    connection_params: dict[str, Any] | None = None
    _correlation: UUID | None = field(default=None, init=False)
    _gate: AccessGate | None = field(default=None, init=False)
    _token: str | None = field(default=None, init=False)

    @property
    def gate(self) -> AccessGate:
        """The gate for the caller the token names (anonymous without one); a bad token is
        refused here, and an expired one at every later use too: a subscription outlives
        the request that first verified its token, and must not deliver past its end."""
        if self._gate is not None:
            if self._token is not None:
                self.platform.verifier.verify(self._token)
            return self._for_operation(self._gate)
        actor: Actor | None = None
        program: str | None = None
        issued_at: int | None = None
        token = bearer(self._given("authorization"))
        if token is not None:
            identity = self.platform.verifier.verify(token)
            actor, program = identity.acting(self._given(ROLE_HEADER)), identity.program
            issued_at = identity.issued_at
        self._gate = AccessGate(
            self.platform, actor, program, self.correlation_id(), issued_at=issued_at
        )
        self._token = token
        return self._gate

    async def prepare(self) -> None:
        """What verifying the caller's token needs fetched (an identity provider's keys),
        fetched before ``gate`` verifies it on the event loop, where the wait held every
        request of the process."""
        if not self.platform.verifier.fetches_keys:  # a secret or a file: nothing to fetch
            return
        try:
            token = bearer(self._given("authorization"))
        except DomainError:
            return  # refused as ``gate`` reads it
        if token is not None:
            await self.platform.verifier.prepare(token)

    async def not_suspended(self) -> None:
        """Refuse the caller if a program admin suspended them (``user-suspended``); a bad
        or missing token is left to ``gate``'s first use, which refuses it as before."""
        try:
            gate = self.gate
        except DomainError:
            return
        await gate.not_suspended()

    async def still_admitted(self, position: int) -> None:
        """Refuse a push of what the store holds up to ``position`` to a caller suspended by
        then (``user-suspended``), or whose token a reinstatement by then revoked
        (``token-revoked``), as the socket's watch knows it (``RecordWatch``): the socket is
        closed only once its task runs, and a push went out in between."""
        watch, actor = self.platform.suspended, self.actor()
        if watch is None or actor is None:
            return
        record = access_record(actor.id)
        refused = refusal(await watch.named_through(record, position), record, self.gate.issued_at)
        if refused is not None:
            raise refused

    def _for_operation(self, gate: AccessGate) -> AccessGate:
        """``gate`` under the correlation id of the operation asking (a socket's gate is made
        as it connects)."""
        correlation_id = self.correlation_id()
        return (
            gate
            if gate.correlation_id == correlation_id
            else replace(gate, correlation_id=correlation_id)
        )

    def actor(self) -> Actor | None:
        """The verified actor, or None when no token was sent; a bad token is refused."""
        return self.gate.actor

    def token_expires(self) -> float | None:
        """When the caller's token is refused as expired (``TokenVerifier.verified``); None
        without a token. A token expired already is refused."""
        self.actor()  # reads the token, once
        return None if self._token is None else self.platform.verifier.verified(self._token)[1]

    def reader(self) -> Actor:
        return self.gate.reader()

    def correlation_id(self) -> UUID:
        """The caller's ``x-correlation-id``, else one id for everything this request does:
        over a websocket, each operation."""
        given = self.request.headers.get(CORRELATION_HEADER)
        if self._correlation is None:
            try:
                self._correlation = UUID(given) if given else uuid4()
            except ValueError:
                raise InvalidInput(
                    CORRELATION_HEADER, "uuid", f"{CORRELATION_HEADER} must be a UUID"
                ) from None
        operation = None if given else OPERATION_CORRELATION.get()
        return self._correlation if operation is None else operation

    def _given(self, name: str) -> str | None:
        """A header, or for a websocket the same key in its connection_init payload. One
        sent twice is refused: the first was taken, so a request carrying two tokens (or two
        roles) ran as whichever came first, while a proxy may have judged it on the other.
        So is a socket whose payload and upgrade request name different ones."""
        params = self.connection_params or {}
        sent = [str(v) for k, v in params.items() if k.lower() == name and v]
        headers = self.request.headers.getlist(name)
        given = sent or headers
        if len(given) > 1:
            raise InvalidInput(name, "header-repeated", f"send one {name}, not several")
        # A socket's upgrade request naming another caller than its connection_init: a
        # gateway judging the upgrade let through a socket that then acted as someone else.
        if sent and headers and sent != headers:
            raise InvalidInput(
                name,
                "header-repeated",
                f"send one {name}: the connection_init payload names another than the"
                " upgrade request's header",
            )
        return given[0] if given else None

    async def caught_up(self, name: str, at_least: int | None) -> None:
        """Wait (briefly) until read model ``name`` has ``at_least``: read your own write.
        A view another version built is refused (``Rebuilding``, retry), waited for or not."""
        self.platform.progress.require_current(name)
        if at_least is None:
            return
        progress = self.platform.progress
        if progress.position(name) < at_least:
            await recorded(self.platform, at_least)
        timeout = self.platform.settings.read_your_writes_timeout
        if not await progress.reach(name, at_least, timeout):
            raise RuleViolation(
                "atLeast",
                "not-yet-visible",
                f"the {name} view is at {progress.position(name)}, not yet at {at_least}; retry",
            )

    async def resumed_after(self, name: str, after: int | None) -> int:
        """Where a subscription to read model ``name`` starts: ``after``, or the view's
        position now. An ``after`` past the store's last position was never delivered here
        (another database's, or mistyped): the feed would wait for it unseen and then skip
        everything before it, so it is refused; so is a view another version built."""
        self.platform.progress.require_current(name)
        if after is None:
            return self.platform.progress.position(name)
        head = await asyncio.to_thread(self.platform.store.last_position)
        if after > head:
            raise InvalidInput(
                "after",
                "recorded-position",
                f"after is past the last recorded position ({head}): resume from a"
                " position this API delivered",
            )
        return after

    def shown(self, grant: Grant) -> Shown:
        """What of a client's rows ``grant`` shows this reader (their own authored ones too)."""
        return Shown.of(grant, self.reader().id)

    async def client_rows(
        self,
        client_id: UUID,
        operation: str,
        view: str,
        at_least: int | None,
        read: Callable[[Grant], Awaitable[list[R]]],
        *,
        needs: Kind | None = None,
        kinds: Callable[[list[R]], Iterable[str]] | None = None,
        checked: Callable[[], None] | None = None,
    ) -> list[R]:
        """A client's rows of read model ``view``, as ``read`` finds them for the reader's
        grant, logged as one read of the record.

        The grant is asked first (a refusal is logged, then raised); with ``needs``, a
        grant that does not show that kind of data is refused too. ``checked`` then refuses
        the query's own arguments (a period, a measure) before anything is read, and so is
        not logged: bad input records nothing. Then the view is waited
        for until it has ``at_least``. The read is logged with ``kinds`` of what it
        returned: by default the ``needs`` kind (none when no row came back: an auditor
        counting who was shown a kind counted reads that showed nothing), or else each
        row's own; one ``read`` refuses once it has looked at the rows (too many to answer
        whole) as returning none.
        """
        grant = await self.gate.readable(client_id, operation=operation, at_least=at_least)
        if needs is not None and not grant.shows(needs, authored_by_reader=False):
            refusal = Forbidden(
                "clientId", "kind-may-read", f"your access does not include {needs.value}"
            )
            raise await self.gate.refused_read(client_id, operation, refusal)
        if checked is not None:
            checked()
        await self.caught_up(view, at_least)
        try:
            rows = await read(grant)
        except InvalidInput:
            await self.gate.record_read(client_id, grant, operation=operation, kinds=(), count=0)
            raise
        if kinds is not None:
            returned = kinds(rows)
        else:
            returned = own_kinds(rows) if needs is None else [needs] * bool(rows)
        await self.gate.record_read(
            client_id, grant, operation=operation, kinds=returned, count=len(rows)
        )
        return rows
