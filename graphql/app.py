"""The ASGI app: GraphQL over HTTP and graphql-transport-ws, plus a health endpoint."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from carecoord.graphql.context import RequestContext
from carecoord.graphql.schema import build_schema
from carecoord.graphql.status import health as health_body
from carecoord.services.bootstrap import Platform
from carecoord.services.errors import DomainError

MAX_BODY_BYTES = 1 << 20
"""A request body over this is refused (413) before it is read in full."""


class BoundedRequest(StarletteRequestAdapter):
    """Reads a request body only up to ``MAX_BODY_BYTES``: a client cannot make the API hold
    a body of any size in memory (a declared length over it is refused unread)."""

    async def get_body(self) -> bytes:
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _too_large()
        body = bytearray()
        async for chunk in self._request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise _too_large()
        return bytes(body)


def _too_large() -> HTTPException:
    return HTTPException(413, f"the request body is over {MAX_BODY_BYTES} bytes")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class CareGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's view, refusing malformed requests with a JSON error (never a 500).

    The request body must be UTF-8 JSON holding an object (a list is a batch, which
    Strawberry refuses), with no ``NaN`` or ``Infinity``, nested no deeper than the parser
    can follow, and no bigger than ``MAX_BODY_BYTES``.
    """

    request_adapter_class = BoundedRequest

    def __init__(self, platform: Platform) -> None:
        production = platform.settings.environment == "production"
        super().__init__(
            build_schema(production=production),
            graphql_ide=None if production else "graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry's, but a refused HTTP request is answered in GraphQL's JSON shape."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as refused:
            response = JSONResponse(
                {"errors": [{"message": refused.reason}]}, status_code=refused.status_code
            )
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        """Strawberry passes a request body as bytes and query-string parameters as text."""
        body = isinstance(data, bytes)
        try:
            text = data.decode() if isinstance(data, bytes) else data
            decoded = json.loads(text, parse_constant=_no_constants)
        except UnicodeDecodeError:
            raise HTTPException(400, "the request body is not UTF-8") from None
        except (ValueError, RecursionError):
            raise HTTPException(400, "unable to parse the request body as JSON") from None
        if body and not isinstance(decoded, dict | list):
            raise HTTPException(
                400, 'the request body must be a JSON object: {"query": "...", "variables": {}}'
            )
        return decoded

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return RequestContext(self.platform, request, response)

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """Refuse a socket whose token is bad at once, rather than at its first operation."""
        try:
            context.actor()
        except DomainError as refusal:
            raise ConnectionRejectionError({"message": refusal.message}) from None
        return await super().on_ws_connect(context)


def create_app(platform: Platform) -> Starlette:
    graphql = CareGraphQL(platform)

    async def health(_: Request) -> JSONResponse:
        body = await health_body(platform)
        # 503 only for a stuck loop, which a restart may mend; a set-aside event needs an
        # operator, not a restart, so the process still reports itself serving.
        return JSONResponse(body, status_code=503 if body["stuckLoops"] else 200)

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
        ]
    )
