"""Each GraphQL operation's correlation id on every log line it causes
(``services/infrastructure/correlation.py``), and its span when tracing is on
(``services/infrastructure/tracing.py``): named for its type and first root field once it
has parsed, never with its variables or its document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from strawberry.extensions import SchemaExtension

from carecoord.graphql.errors import correlation_of
from carecoord.graphql.metrics import named_operation
from carecoord.services.infrastructure import correlation

if TYPE_CHECKING:
    from carecoord.services.infrastructure.tracing import Tracing


class OperationTrace(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        correlation_id = correlation_of(self.execution_context)
        tracing: Tracing | None = getattr(getattr(context, "platform", None), "tracing", None)
        bound = {} if correlation_id is None else {"correlation_id": correlation_id}
        with correlation.bound(**bound):
            if tracing is None:
                yield
                return
            headers = getattr(getattr(context, "request", None), "headers", {})
            with tracing.operation(headers, correlation_id) as span:
                yield
                found = named_operation(
                    self.execution_context.graphql_document, self.execution_context.operation_name
                )
                if found is not None:
                    tracing.named(span, *found)
