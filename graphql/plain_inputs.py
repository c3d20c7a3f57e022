"""Input objects built from their fields as found once, not looked up again for every value.

strawberry builds an input object field by field, resolving each field's type annotation
again (``StrawberryField.resolve_type``) and its GraphQL name, for every input it is sent:
a dose's input spent most of its conversion there. A schema's types are final once it is
built, so each input type's fields (GraphQL name, Python name, type) are found once and the
object built from them through strawberry's own hook (``StrawberryObjectDefinition.
from_input``); each value is still converted by strawberry's ``convert_argument``, as it
was. A type with a ``Maybe`` field keeps strawberry's way: its validation of a null sent to
one skips types that set the hook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

import strawberry
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryMaybe, StrawberryObjectDefinition

from graphql import GraphQLInputObjectType

FromInput = Callable[[type, Mapping[str, Any], InputContext], object]


def build_inputs_directly(schema: strawberry.Schema) -> int:
    """Give the input types of ``schema`` their fields found once; return how many."""
    built = 0
    for name, core_type in schema._schema.type_map.items():
        if not isinstance(core_type, GraphQLInputObjectType):
            continue
        definition = schema.get_type_by_name(name)
        if not isinstance(definition, StrawberryObjectDefinition) or definition.from_input:
            continue
        from_input = _planned(definition, schema.config.name_converter.from_field)
        if from_input is not None:
            definition.from_input = from_input
            built += 1
    return built


def _planned(
    definition: StrawberryObjectDefinition, graphql_name: Callable[[Any], str]
) -> FromInput | None:
    """What strawberry's ``convert_argument`` does for an input of ``definition``: every
    field without a default given None, then each field the value holds converted."""
    fields = [
        (graphql_name(f), f.python_name, f.resolve_type(type_definition=definition))
        for f in definition.fields
    ]
    if any(isinstance(kind, StrawberryMaybe) for _, _, kind in fields):
        return None
    unset: dict[str, object] = {
        f.python_name: None
        for f in definition.fields
        if f.default_value is MISSING and f.default_factory is MISSING
    }

    def from_input(kind: type, value: Mapping[str, Any], context: InputContext) -> object:
        given = dict(unset)
        for name, python_name, field_type in fields:
            if name in value:
                given[python_name] = context.convert(value[name], field_type, name)
        return kind(**given)

    return from_input
