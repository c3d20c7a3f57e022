"""Plain attribute fields read with one ``getattr``.

Strawberry wraps every field, including a plain attribute, in its own resolver machinery;
for a page of fifty timeline entries (some five hundred fields) that wrapping was a third
of the time spent building the response. A field with no resolver, permission or
extension, whose value graphql-core serializes itself (a scalar, an object or a list of
them; not an enum, which strawberry converts), reads the attribute directly instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types.base import StrawberryObjectDefinition

from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLOutputType,
    get_named_type,
)


def read_plain_fields_directly(schema: strawberry.Schema) -> int:
    """Point the plain fields of ``schema`` at ``getattr``; return how many there were."""
    converted = 0
    for name, core_type in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(core_type, GraphQLObjectType):
            continue
        definition = schema.get_type_by_name(name)
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for field in definition.fields:
            core_field = core_type.fields.get(schema.config.name_converter.get_graphql_name(field))
            if core_field is None or not _plain(field, core_field.type):
                continue
            core_field.resolve = _attribute(field.python_name)
            converted += 1
    return converted


def _plain(field: Any, output: GraphQLOutputType) -> bool:
    return (
        field.base_resolver is None
        and not field.permission_classes
        and not field.extensions
        and not isinstance(get_named_type(output), GraphQLEnumType)
    )


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any, **_arguments: Any) -> Any:
        return getattr(source, name)

    return resolve
