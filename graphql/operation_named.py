"""A document of several operations runs the one the request names, and none if it names none.

strawberry takes the first operation's name when a request gives none
(``ExecutionContext.operation_name``), so a document holding ``mutation Dose`` and ``query
Timeline`` sent without ``operationName`` recorded the dose. The GraphQL spec (GetOperation)
answers such a request with an error, and so does this, before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from graphql import GraphQLError, OperationDefinitionNode

UNNAMED = "Must provide operation name if query contains multiple operations."
"""graphql-core's own message, which clients may match on."""


class OperationNamed(SchemaExtension):
    """Listed after the validation step, whose errors it adds to."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        # The name the request gave; ``operation_name`` is the first operation's without one.
        if document is not None and context._provided_operation_name is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                errors = context.pre_execution_errors or []
                context.pre_execution_errors = [*errors, GraphQLError(UNNAMED)]
        yield
