"""What a request over HTTP may run: a query or a mutation; a subscription goes over the
websocket (graphql-transport-ws) at the same path.

strawberry lets a subscription through GET and POST for a multipart protocol this API does
not serve; run as a query, its field's stream read as null and the client was answered
INTERNAL_SERVER_ERROR (with a traceback in the log). Over HTTP it is refused before it runs,
as a mutation sent by GET is: 400, ``subscriptions are not allowed when using POST``.
"""

from __future__ import annotations

from collections.abc import Iterator

from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType


class NoSubscriptionOverHttp(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        if isinstance(getattr(context.context, "request", None), Request):
            context.allowed_operations = set(context.allowed_operations) - {
                OperationType.SUBSCRIPTION
            }
        yield
