"""Per-request context: the platform, who is asking, what they may read, and the envelope
for what they record.

Reads of a client's record go through ``readable`` (the grant, decided by
``services/policy.py`` from the access read models) and ``record_read`` (one access-log
entry per query resolution or subscription delivery). Resolvers of every area use these
two; none decides access itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from carecoord.events import Actor, Kind
from carecoord.events.access import Basis, ClientRecordRead, ReadOutcome
from carecoord.services.access import authorize, require_actor
from carecoord.services.bootstrap import Platform
from carecoord.services.errors import Forbidden, InvalidInput, RuleViolation
from carecoord.services.grants import ACCESS_MODELS, grant_for
from carecoord.services.identity import ROLE_HEADER, bearer
from carecoord.services.policy import POLICY_VERSION, Grant
from carecoord.services.stamp import Stamp

CORRELATION_HEADER = "x-correlation-id"


@dataclass
class RequestContext:
    platform: Platform
    request: Request | WebSocket
    response: Response | WebSocket | None
    connection_params: dict[str, Any] | None = None
    _actor: Actor | None = field(default=None, init=False)
    _checked: bool = field(default=False, init=False)
    _correlation: UUID | None = field(default=None, init=False)

    def actor(self) -> Actor | None:
        """The verified actor, or None when no token was sent; a bad token is refused."""
        if not self._checked:
            token = bearer(self._given("authorization"))
            if token is not None:
                identity = self.platform.verifier.verify(token)
                self._actor = identity.acting(self._given(ROLE_HEADER))
            self._checked = True
        return self._actor

    def reader(self) -> Actor:
        return require_actor(self.actor())

    def stamp(self, action: str) -> Stamp:
        """The envelope for an ``action``, once the actor is known and allowed to record it."""
        actor = authorize(self.actor(), action)
        return Stamp(actor, correlation_id=self.correlation_id())

    async def readable(
        self, client_id: UUID, *, operation: str, at_least: int | None = None
    ) -> Grant:
        """What the reader may see of this client now; a refusal is logged, then raised.

        With ``at_least``, waits (briefly) until the access read models have that position,
        so a reader sees the effect of a care-team or consent change they just made.
        """
        reader = self.reader()
        if at_least is not None:
            await self._access_models_at(at_least)
        try:
            async with self.platform.pool.connection() as conn:
                return await grant_for(conn, reader, client_id)
        except Forbidden as refusal:
            await self._log(reader, client_id, operation, refusal=refusal)
            raise

    async def record_read(
        self, client_id: UUID, grant: Grant, *, operation: str, kinds: Iterable[str], count: int
    ) -> None:
        """Append the one access-log entry of a read; returns once it is stored."""
        await self._log(self.reader(), client_id, operation, grant=grant, kinds=kinds, count=count)

    async def access_models_reach(self, position: int) -> None:
        """Wait until every access read model has ``position`` (subscriptions use this)."""
        progress = self.platform.progress
        for name in ACCESS_MODELS:
            if progress.position(name) < position:
                await progress.passed(name, position - 1)

    def correlation_id(self) -> UUID:
        """The caller's ``x-correlation-id``, else one id for everything this request does."""
        if self._correlation is None:
            given = self.request.headers.get(CORRELATION_HEADER)
            try:
                self._correlation = UUID(given) if given else uuid4()
            except ValueError:
                raise InvalidInput(
                    CORRELATION_HEADER, "uuid", f"{CORRELATION_HEADER} must be a UUID"
                ) from None
        return self._correlation

    def _given(self, name: str) -> str | None:
        """A header, or for a websocket the same key in its connection_init payload."""
        for key, value in (self.connection_params or {}).items():
            if key.lower() == name and value:
                return str(value)
        return self.request.headers.get(name)

    async def _access_models_at(self, position: int) -> None:
        progress = self.platform.progress
        timeout = self.platform.settings.read_your_writes_timeout
        reached = await asyncio.gather(
            *(progress.reach(name, position, timeout) for name in ACCESS_MODELS)
        )
        if not all(reached):
            raise RuleViolation(
                "atLeast", "not-yet-visible", f"access rules are not yet at {position}; retry"
            )

    async def _log(
        self,
        reader: Actor,
        client_id: UUID,
        operation: str,
        *,
        grant: Grant | None = None,
        refusal: Forbidden | None = None,
        kinds: Iterable[str] = (),
        count: int = 0,
    ) -> None:
        entry = Stamp(reader, correlation_id=self.correlation_id()).event(
            ClientRecordRead,
            client_id,
            None,
            operation=operation,
            outcome=ReadOutcome.REFUSED if grant is None else ReadOutcome.GRANTED,
            basis=Basis.NONE if grant is None else grant.basis,
            kinds_granted=() if grant is None else tuple(sorted(grant.kinds | grant.authored)),
            kinds_returned=tuple(sorted({Kind(k) for k in kinds})),
            entries_returned=count,
            consent_ids=() if grant is None else grant.consent_ids,
            break_glass_id=None if grant is None else grant.break_glass_id,
            policy_version=POLICY_VERSION if grant is None else grant.policy_version,
            refusal="" if refusal is None else refusal.rule,
        )
        await self.platform.access_log.append(entry)
