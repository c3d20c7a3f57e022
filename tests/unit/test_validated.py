"""Validation answers are kept per parsed document: the same document is validated once,
another document (even of the same text) on its own, and the answers are strawberry's."""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import validate_document

from carecoord.graphql.schema import build_schema
from carecoord.graphql.validated import Validated
from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse

SCHEMA = build_schema()._schema
GOOD = "query($id: UUID!) { clientTimeline(clientId: $id) { edges { cursor } } }"
BAD = "query($id: UUID!) { clientTimeline(clientId: $id) { edges { nope } } }"


def counting() -> tuple[Validated[list[GraphQLError]], list[DocumentNode]]:
    seen: list[DocumentNode] = []

    def validate(
        schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
    ) -> list[GraphQLError]:
        seen.append(document)
        return validate_document(schema, document, rules)

    return Validated(validate, most=4), seen


def messages(errors: list[GraphQLError]) -> list[str]:
    return [e.message for e in errors]


def test_a_document_is_validated_once_and_answers_as_strawberry_does() -> None:
    validated, seen = counting()
    good, bad = parse(GOOD), parse(BAD)
    for _ in range(3):
        assert validated(SCHEMA, good, ()) == []
        assert messages(validated(SCHEMA, bad, ())) == messages(validate_document(SCHEMA, bad, ()))
    assert seen == [good, bad]


def test_another_document_of_the_same_text_or_other_rules_are_validated_on_their_own() -> None:
    validated, seen = counting()
    first, second = parse(GOOD), parse(GOOD)
    validated(SCHEMA, first, ())
    validated(SCHEMA, second, ())
    validated(SCHEMA, first, (ASTValidationRule,))
    assert len(seen) == 3


def test_it_keeps_at_most_its_bound() -> None:
    validated, seen = counting()
    documents: list[Any] = [parse(GOOD) for _ in range(6)]
    for document in documents:
        validated(SCHEMA, document, ())
    validated(SCHEMA, documents[-1], ())
    assert len(seen) == 6
    assert len(validated._kept) <= 4
