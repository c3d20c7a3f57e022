"""Validation answers kept per parsed document, by identity.

Care-team clients send the same few documents all day, and the parser cache hands out the
same parsed document for the same text. strawberry's ``ValidationCache`` (and the
production validation before it) kept answers in an ``lru_cache`` keyed by the document:
graphql-core's nodes are frozen dataclasses, so every request hashed the whole syntax
tree, node by node, to find the answer (2% of a timeline page). Here the key is the
document itself (the object, held with its answer so that its identity is not reused),
with the rules asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from graphql import ASTValidationRule, DocumentNode, GraphQLSchema

Rules = tuple[type[ASTValidationRule], ...]
A = TypeVar("A")
MAX_KEPT = 512


class Validated(Generic[A]):
    """``validate``'s answers, per document and rules, at most ``most`` of them."""

    def __init__(
        self, validate: Callable[[GraphQLSchema, DocumentNode, Rules], A], most: int = MAX_KEPT
    ) -> None:
        self._validate = validate
        self._most = most
        self._kept: dict[tuple[int, int, Rules], tuple[DocumentNode, A]] = {}

    def __call__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        rules: Sequence[type[ASTValidationRule]],
    ) -> A:
        key = (id(schema), id(document), tuple(rules))
        kept = self._kept.get(key)
        if kept is not None and kept[0] is document:
            return kept[1]
        answer = self._validate(schema, document, key[2])
        if len(self._kept) >= self._most:
            self._kept.clear()
        self._kept[key] = (document, answer)
        return answer


def validation_cache(most: int = MAX_KEPT) -> Callable[[], SchemaExtension]:
    """strawberry's validation (``ValidationCache``'s), answers kept per document."""
    validated = Validated(validate_document, most)

    class CachedValidation(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            assert context.graphql_document is not None
            context.pre_execution_errors = validated(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
            yield

    return CachedValidation
