"""Per-request context: the platform, who is asking, and the envelope for what they record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from carecoord.events import Actor
from carecoord.services.access import authorize, require_actor
from carecoord.services.bootstrap import Platform
from carecoord.services.errors import InvalidInput
from carecoord.services.identity import bearer, verify_token
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

    def actor(self) -> Actor | None:
        """The verified actor, or None when no token was sent; a bad token is refused."""
        if not self._checked:
            header = self.request.headers.get("authorization")
            if self.connection_params:
                header = str(self.connection_params.get("Authorization") or header or "")
            token = bearer(header)
            if token is not None:
                self._actor = verify_token(self.platform.settings, self.platform.jwt_key, token)
            self._checked = True
        return self._actor

    def reader(self) -> Actor:
        return require_actor(self.actor())

    def stamp(self, action: str) -> Stamp:
        """The envelope for an ``action``, once the actor is known and allowed to record it."""
        actor = authorize(self.actor(), action)
        return Stamp(actor, correlation_id=self.correlation_id())

    def correlation_id(self) -> UUID:
        given = self.request.headers.get(CORRELATION_HEADER)
        if not given:
            return uuid4()
        try:
            return UUID(given)
        except ValueError:
            raise InvalidInput(
                CORRELATION_HEADER, "uuid", f"{CORRELATION_HEADER} must be a UUID"
            ) from None
