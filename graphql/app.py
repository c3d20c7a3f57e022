"""The ASGI app: GraphQL over HTTP and graphql-transport-ws, plus a health endpoint."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from carecoord.graphql.context import RequestContext
from carecoord.graphql.schema import build_schema
from carecoord.graphql.status import platform_status
from carecoord.services.bootstrap import Platform
from carecoord.services.errors import DomainError


class CareGraphQL(GraphQL[RequestContext, None]):
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
        status = await platform_status(platform)
        return JSONResponse(
            {
                "status": "ok",
                "storePosition": status.store_position,
                "followers": {
                    f.name: {"position": f.position, "lag": f.lag} for f in status.followers
                },
            }
        )

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
        ]
    )
