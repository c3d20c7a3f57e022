"""Input objects built from their fields as found once, not looked up again for every value.

strawberry builds an input object field by field, resolving each field's type annotation
again (``StrawberryField.resolve_type``) and its GraphQL name, for every input it is sent:
a dose's input spent most of its conversion there. A schema's types are final once it is
built, so each input type's fields (GraphQL name, Python name, type) are found once and the
object built from them through strawberry's own hook (``StrawberryObjectDefinition.
from_input``). A field of a scalar or an enum, or of one of them optional, takes its value as
graphql-core parsed it, which is what strawberry's ``convert_argument`` hands back for it
after a dozen checks of the type (a dose's input: nine fields, each converted anew); any
other value is still converted by ``convert_argument``. A type with a ``Maybe`` field keeps
strawberry's way: its validation of a null sent to one skips types that set the hook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

import strawberry
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    StrawberryType,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.scalar import ScalarDefinition, ScalarWrapper

from graphql import GraphQLInputObjectType

FromInput = Callable[[type, Mapping[str, Any], InputContext], object]
Scalars = Mapping[object, ScalarWrapper | ScalarDefinition]


def build_inputs_directly(schema: strawberry.Schema) -> int:
    """Give the input types of ``schema`` their fields found once; return how many."""
    built = 0
    for name, core_type in schema._schema.type_map.items():
        if not isinstance(core_type, GraphQLInputObjectType):
            continue
        definition = schema.get_type_by_name(name)
        if not isinstance(definition, StrawberryObjectDefinition) or definition.from_input:
            continue
        from_input = _planned(
            definition,
            schema.config.name_converter.from_field,
            schema.schema_converter.scalar_registry,
        )
        if from_input is not None:
            definition.from_input = from_input
            built += 1
    return built


def _planned(
    definition: StrawberryObjectDefinition, graphql_name: Callable[[Any], str], scalars: Scalars
) -> FromInput | None:
    """What strawberry's ``convert_argument`` does for an input of ``definition``: every
    field without a default given None, then each field the value holds converted (or
    taken as given, ``_as_given``)."""
    kinds = [(f, f.resolve_type(type_definition=definition)) for f in definition.fields]
    if any(isinstance(kind, StrawberryMaybe) for _, kind in kinds):
        return None
    fields = [
        (graphql_name(f), f.python_name, None if _as_given(kind, scalars) else kind)
        for f, kind in kinds
    ]
    unset: dict[str, object] = {
        f.python_name: None
        for f in definition.fields
        if f.default_value is MISSING and f.default_factory is MISSING
    }

    def from_input(kind: type, value: Mapping[str, Any], context: InputContext) -> object:
        given = dict(unset)
        for name, python_name, field_type in fields:
            if name in value:
                given[python_name] = (
                    value[name]
                    if field_type is None
                    else context.convert(value[name], field_type, name)
                )
        return kind(**given)

    return from_input


def _as_given(kind: StrawberryType | type, scalars: Scalars) -> bool:
    """Whether ``convert_argument`` hands a value of ``kind`` back as it is: a scalar's or
    an enum's (a global id is decoded), or null, unset or one of those for an optional one."""
    if isinstance(kind, StrawberryOptional):
        kind = kind.of_type
    if kind is GlobalID:
        return False
    return (
        is_scalar(kind, scalars)
        or isinstance(kind, StrawberryEnumDefinition)
        or has_enum_definition(kind)
    )
