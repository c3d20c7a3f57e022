"""Per-request context: the platform, who is asking (from the request's headers), and the
access gate that decides for them.

Resolvers of every area ask ``ctx.gate`` (``services/gate/gate.py``): ``stamp`` for what they
record, ``readable`` and ``record_read`` for what they read. None decides access itself,
and none holds SQL: they read through the queries each read model's module owns
(``projections/<view>.py``), on ``platform.reads`` (the primary, or a replica when one is set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any
from uuid import UUID, uuid4

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from carecoord.events import Actor
from carecoord.services.gate.gate import AccessGate
from carecoord.services.infrastructure.identity import ROLE_HEADER, bearer
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.platform import Platform

CORRELATION_HEADER = "x-correlation-id"

AtLeast = Annotated[
    int | None,
    strawberry.argument(description="Wait briefly until the view has this position."),
]
"""The read-your-writes argument of every query: a position a mutation returned."""


@dataclass
class RequestContext:
    platform: Platform
    request: Request | WebSocket
    response: Response | WebSocket | None
    connection_params: dict[str, Any] | None = None
    _correlation: UUID | None = field(default=None, init=False)

    @cached_property
    def gate(self) -> AccessGate:
        """The gate for the caller the token names (anonymous without one); a bad token is
        refused here."""
        actor: Actor | None = None
        program: str | None = None
        token = bearer(self._given("authorization"))
        if token is not None:
            identity = self.platform.verifier.verify(token)
            actor, program = identity.acting(self._given(ROLE_HEADER)), identity.program
        return AccessGate(self.platform, actor, program, self.correlation_id())

    def actor(self) -> Actor | None:
        """The verified actor, or None when no token was sent; a bad token is refused."""
        return self.gate.actor

    def reader(self) -> Actor:
        return self.gate.reader()

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

    async def caught_up(self, name: str, at_least: int | None) -> None:
        """Wait (briefly) until read model ``name`` has ``at_least``: read your own write."""
        if at_least is None:
            return
        progress = self.platform.progress
        timeout = self.platform.settings.read_your_writes_timeout
        if not await progress.reach(name, at_least, timeout):
            raise RuleViolation(
                "atLeast",
                "not-yet-visible",
                f"the {name} view is at {progress.position(name)}, not yet at {at_least}; retry",
            )
