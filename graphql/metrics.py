"""What the API counts of each GraphQL operation (``services/infrastructure/metrics.py`` keeps the
metrics).

A schema extension names the operation for the request-latency histogram (its type and its
first root field: names the schema bounds, whatever the client sends) and counts each
refusal a client is answered with, by code and rule. The latency itself is measured by the
HTTP view (``graphql/app.py``), from the first byte read to the last sent.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult, StreamExecutionResult

from carecoord.services.infrastructure.metrics import Metrics
from carecoord.services.kernel.errors import DomainError
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, get_operation_ast

OPERATION_SCOPE_KEY = "carecoord.operation"
"""Where the operation's (type, name) is left in the request's ASGI scope for the view."""
NOT_RUN = "invalid"


class RequestMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        metrics = _metrics(context.context)
        result = context.result
        operation = named_operation(context.graphql_document, context.operation_name)
        failed = result is None or (
            result.data is None and all(e.path is None for e in (result.errors or []))
        )
        if operation is None:
            named = ("none", NOT_RUN)
        else:
            named = (operation[0], NOT_RUN) if failed else operation
        scope = getattr(getattr(context.context, "request", None), "scope", None)
        if isinstance(scope, dict):
            scope[OPERATION_SCOPE_KEY] = named
        if metrics is not None and named[0] != "subscription" and result is not None:
            _count_refusals(metrics, result.errors)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """A subscription's results (its refusal too) are counted as they are sent."""
        metrics = _metrics(self.execution_context.context)
        if metrics is not None and isinstance(result, ExecutionResult):
            _count_refusals(metrics, result.errors)
        yield


def _metrics(context: object) -> Metrics | None:
    found = getattr(getattr(context, "platform", None), "metrics", None)
    return found if isinstance(found, Metrics) else None


def _count_refusals(metrics: Metrics, errors: list[GraphQLError] | None) -> None:
    for error in errors or ():
        if isinstance(error.original_error, DomainError):
            metrics.refused(error.original_error)


def named_operation(document: object, name: str | None) -> tuple[str, str] | None:
    """(type, first root field) of the operation a request runs; None before it parsed."""
    if document is None:
        return None
    try:
        found = get_operation_ast(document, name)  # type: ignore[arg-type]
    except GraphQLError:
        return None
    if not isinstance(found, OperationDefinitionNode):
        return None
    first = next((s for s in found.selection_set.selections if isinstance(s, FieldNode)), None)
    field = first.name.value if first is not None else "fragment"
    return found.operation.value, "introspection" if field.startswith("__") else field
