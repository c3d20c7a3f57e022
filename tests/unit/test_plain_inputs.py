"""Input objects built from their fields found once (graphql/plain_inputs.py) are the
objects strawberry's own conversion builds: defaults, nulls, omitted fields, enums and
nested lists of inputs alike."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from uuid import UUID

import pytest
import strawberry
from strawberry.types.arguments import InputContext
from strawberry.types.base import get_object_definition

from carecoord.graphql.medication_inputs import AdministerDoseInput
from carecoord.graphql.plain_inputs import build_inputs_directly
from carecoord.graphql.schema import build_schema


@strawberry.enum
class Form(Enum):
    ORAL = "oral"
    FILM = "film"


@strawberry.input
class Part:
    name: str
    size: int = 2


@strawberry.input
class Whole:
    client_id: UUID
    amount: Decimal
    form: Form
    parts: list[Part]
    given_at: datetime | None = None
    note: str | None
    slot: int = 1
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field
    def built(self, whole: Whole) -> str:
        return repr(whole)


DOCUMENTS = (
    '{ built(whole: {clientId: "5f0c3c6e-8f1e-4c57-9a39-0d5c1f0b7a11", amount: "2.5",'
    ' form: ORAL, parts: [{name: "a"}, {name: "b", size: 3}], note: null}) }',
    '{ built(whole: {clientId: "5f0c3c6e-8f1e-4c57-9a39-0d5c1f0b7a11", amount: "1",'
    ' form: FILM, parts: [], givenAt: "2024-05-01T08:30:00+00:00", note: "x", slot: 3,'
    ' tags: ["t"]}) }',
)


def test_inputs_built_from_their_fields_found_once_are_strawberrys_own() -> None:
    schema = strawberry.Schema(query=Query)
    before = [schema.execute_sync(document) for document in DOCUMENTS]
    assert build_inputs_directly(schema) == 2
    after = [schema.execute_sync(document) for document in DOCUMENTS]
    assert all(result.errors is None for result in before)
    assert [r.data for r in after] == [r.data for r in before]


def test_the_apis_inputs_are_built_from_their_fields_found_once() -> None:
    build_schema()
    assert get_object_definition(AdministerDoseInput, strict=True).from_input is not None


def test_scalars_and_enums_are_taken_as_parsed_and_only_inputs_converted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """graphql-core has parsed a scalar's or an enum's value already, and strawberry's
    conversion hands it back as it is, after a dozen checks of its type: a dose's nine
    fields each went through it. Lists are still converted (each request gets its own)."""
    schema = strawberry.Schema(query=Query)
    build_inputs_directly(schema)
    converted: list[tuple[object, ...]] = []
    convert = InputContext.convert

    def counted(self: InputContext, value: object, kind: object, *keys: str | int) -> object:
        converted.append(keys)
        return convert(self, value, kind, *keys)  # type: ignore[arg-type]

    monkeypatch.setattr(InputContext, "convert", counted)
    result = schema.execute_sync(DOCUMENTS[1])
    assert result.errors is None
    assert result.data is not None
    assert "Form.FILM" in result.data["built"]
    assert converted == [("parts",), ("tags",)]
