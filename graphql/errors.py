"""Turns refusals into GraphQL errors a person can act on, and hides everything else.

A domain refusal keeps its message and gains ``extensions`` with a stable ``code``, the
``field`` and the ``rule``. Any other failure is an internal error: its message is
replaced by a reference the operator can find in the logs (in production).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult, StreamExecutionResult

from carecoord.services.errors import DomainError
from graphql import GraphQLError

log = logging.getLogger("carecoord.api")


def shaped(error: GraphQLError, *, mask: bool) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            path=error.path,
            original_error=original,
            extensions={
                **original.details,
                "code": original.code,
                "field": original.field,
                "rule": original.rule,
            },
        )
    if original is None or error.path is None or isinstance(original, GraphQLError):
        # Parse, validation and variable-coercion errors: the message names the field.
        extensions = dict(error.extensions or {})
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        return GraphQLError(
            error.message, nodes=error.nodes, path=error.path, extensions=extensions
        )
    reference = uuid.uuid4().hex[:12]
    log.error("internal error", extra={"reference": reference}, exc_info=original)
    message = f"internal error (reference {reference})" if mask else error.message
    return GraphQLError(
        message,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "reference": reference},
    )


class ShapeErrors(SchemaExtension):
    mask = False

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [shaped(e, mask=self.mask) for e in result.errors]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Each result a websocket sends (a subscription's refusal too) is shaped the same:
        ``on_operation`` only sees the last one, after it was sent."""
        if isinstance(result, ExecutionResult) and result.errors:
            result.errors = [shaped(e, mask=self.mask) for e in result.errors]
        yield


class ShapeAndMaskErrors(ShapeErrors):
    mask = True
