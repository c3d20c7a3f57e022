"""Plain attribute fields read with one ``getattr``, and completed without the general
machinery.

Strawberry wraps every field, including a plain attribute, in its own resolver machinery;
for a page of fifty timeline entries (some five hundred fields) that wrapping was a third
of the time spent building the response. A field with no resolver, permission or
extension, whose value graphql-core serializes itself (a scalar, an object or a list of
them; not an enum, which strawberry converts), reads the attribute directly instead.

graphql-core then still completes each of those fields on its own: a resolve info, a path,
awaitable checks and a completion per field, some half of a page's CPU. ``PlainCompletion``
completes an object whose selected fields are all plain (and so on below it) in one walk:
the attribute, the null check, the scalar's own ``coerce_output_value``. Anything else (a
resolver, an argument, a directive, an abstract type, a null where the schema says non-null,
a value that is an error, an awaitable or does not coerce) sends the whole object back to
graphql-core's own completion, which reads the same attributes again and reports what it
finds as it always has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from types import GeneratorType
from typing import Any
from uuid import UUID

import strawberry
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.types.base_scalars import isoformat as strawberry_isoformat
from strawberry.types.base import StrawberryObjectDefinition

from carecoord.graphql.isoformat import isoformat
from graphql import (
    FragmentDefinitionNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
    OperationDefinitionNode,
    get_named_type,
)


class Attribute:
    """The resolver of a plain field: the source's attribute ``name``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, source: Any, _info: Any, **_arguments: Any) -> Any:
        return getattr(source, self.name)


class Unchanging:
    """An object of plain fields never changed once built, that several requests may be
    answered with (a kept timeline entry, ``projections/timeline_pages.py``): completed
    once per selection kept across requests, and that answer given again. Its result is
    never changed either: the response is encoded as it is."""


_COMPLETED = "_completed_by_plan"


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
            core_field.resolve = Attribute(field.python_name)
            converted += 1
    schema._schema.extensions[SHARED_PLANS] = SharedPlans()
    return converted


def _plain(field: Any, output: GraphQLOutputType) -> bool:
    return (
        field.base_resolver is None
        and not field.permission_classes
        and not field.extensions
        and not isinstance(get_named_type(output), GraphQLEnumType)
    )


class _Unplain(Exception):
    """This object takes graphql-core's own completion."""


TYPE_NAME = "__typename"
_SETTLED = frozenset({str, int, float, bool, datetime, date, UUID, Decimal})
"""Values that are neither errors nor awaitables: no need to ask."""

_BUILT_IN = (GraphQLString, GraphQLID, GraphQLInt, GraphQLBoolean)
_AS_IS: dict[str, type] = {"String": str, "ID": str, "Int": int, "Boolean": bool}
"""Built-in scalars and the type of value each returns as it is."""
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

Complete = Callable[[Any], Any]
FieldDetailsList = list[FieldDetails]
SHARED_PLANS = "carecoord.plain_plans"
"""Where the schema keeps its ``SharedPlans`` (graphql-core's extensions of a schema)."""
MAX_SHARED_PLANS = 1024


class SharedPlans:
    """Plans kept from one request to the next: care-team clients send the same few
    documents all day, and building a page's plans was a twentieth of its CPU.

    A plan depends on the selection only: the nodes of a parsed document (the parser cache
    hands the same document to every request with the same text, and the nodes are held
    here, so their identities are not reused), and on no variable, as long as the
    document has no directive (``@include(if: $x)`` would change what is collected).
    """

    def __init__(self, most: int = MAX_SHARED_PLANS) -> None:
        self._most = most
        self._plans: dict[tuple[Any, ...], tuple[Complete | None, tuple[Any, ...]]] = {}
        self._fixed: dict[int, tuple[bool, OperationDefinitionNode]] = {}

    def fixed(
        self, operation: OperationDefinitionNode, fragments: Iterable[FragmentDefinitionNode]
    ) -> bool:
        """Whether the operation's selections are the same whatever its variables."""
        known = self._fixed.get(id(operation))
        if known is not None and known[1] is operation:
            return known[0]
        found = not any(_directives(node) for node in (operation, *fragments))
        self._bounded(self._fixed)[id(operation)] = (found, operation)
        return found

    def get(self, key: tuple[Any, ...]) -> tuple[Complete | None, tuple[Any, ...]] | None:
        return self._plans.get(key)

    def keep(self, key: tuple[Any, ...], nodes: tuple[Any, ...], plan: Complete | None) -> None:
        self._bounded(self._plans)[key] = (plan, nodes)

    def _bounded(self, kept: dict[Any, Any]) -> dict[Any, Any]:
        if len(kept) >= self._most:
            kept.clear()
        return kept


def _directives(node: Any) -> bool:
    """Whether a directive stands anywhere in the selections below ``node``."""
    pending: list[Any] = [node]
    while pending:
        found = pending.pop()
        if getattr(found, "directives", None):
            return True
        selections = getattr(found, "selection_set", None)
        if selections is not None:
            pending.extend(selections.selections)
    return False


class PlainCompletion(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, completing objects of plain fields in one walk."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, Complete | None]] = {}
        manager = self.middleware_manager
        # A middleware (a schema extension's ``resolve``) must see every field.
        self._plain_allowed = not (manager is not None and manager.middlewares)
        shared = self.schema.extensions.get(SHARED_PLANS)
        self._shared = (
            shared
            if isinstance(shared, SharedPlans)
            and shared.fixed(self.operation, self.fragment_definitions.values())
            else None
        )

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if self._plain_allowed and position_context is None:
            complete = self._object_plan(return_type, field_details_list)
            if complete is not None:
                try:
                    return complete(result)
                except _Unplain:
                    pass
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _object_plan(
        self, object_type: GraphQLObjectType, details: FieldDetailsList
    ) -> Complete | None:
        """How to complete ``object_type`` selected by ``details``; None when not plain.
        Kept per selection (the list's identity, held with it, as graphql-core does)."""
        key = (object_type, id(details))
        kept = self._plans.get(key)
        if kept is not None:
            return kept[1]
        nodes = tuple(d.node for d in details)
        shared_key = (object_type, tuple(map(id, nodes)), self.is_awaitable)
        if self._shared is not None:
            found = self._shared.get(shared_key)
            if found is not None:
                self._plans[key] = (details, found[0])
                return found[0]
        self._plans[key] = (details, None)  # a type selected within itself is not plain
        plan = self._plan_fields(object_type, details)
        self._plans[key] = (details, plan)
        if self._shared is not None:
            self._shared.keep(shared_key, nodes, plan)
        return plan

    def _plan_fields(
        self, object_type: GraphQLObjectType, details: FieldDetailsList
    ) -> Complete | None:
        if object_type.is_type_of is not None or any(d.defer_usage for d in details):
            return None
        grouped, deferred, forbidden = self.collect_subfields(object_type, details)
        if deferred or forbidden:
            return None
        fields: list[tuple[str, Complete, Complete]] = []
        for response_name, selected in grouped.items():
            nodes = [d.node for d in selected]
            if any(n.directives or n.arguments for n in nodes) or any(
                d.defer_usage or d.fragment_variable_values for d in selected
            ):
                return None
            name = nodes[0].name.value
            if name == TYPE_NAME:
                fields.append((response_name, _constant(object_type.name), _same))
                continue
            field: GraphQLField | None = self.schema.get_field(object_type, name)
            if field is None:
                continue  # graphql-core leaves it out of the result too
            if not isinstance(field.resolve, Attribute) or field.args:
                return None
            complete = self._value_plan(field.type, selected)
            if complete is None:
                return None
            fields.append((response_name, attrgetter(field.resolve.name), complete))

        def complete_object(source: Any) -> dict[str, Any]:
            return {key: complete(read(source)) for key, read, complete in fields}

        # A plan kept across requests completes an unchanging object once.
        return complete_object if self._shared is None else _once(complete_object)

    def _value_plan(self, output: GraphQLOutputType, details: FieldDetailsList) -> Complete | None:
        """How to complete one value of type ``output``; None when not plain."""
        required = isinstance(output, GraphQLNonNull)
        inner = output.of_type if isinstance(output, GraphQLNonNull) else output
        is_awaitable = self.is_awaitable
        known = set(_SETTLED)

        def settled(value: Any) -> Any:
            if value is None:
                if required:
                    raise _Unplain  # graphql-core reports the null where it must not be
                return None
            kind = type(value)
            if kind not in known:
                if isinstance(value, Exception) or is_awaitable(value):
                    raise _Unplain
                if kind is not GeneratorType:
                    # Its type answers for the next value of it, as it does for ``await``
                    # (a generator is awaitable or not by its code): a page asked 150 times.
                    known.add(kind)
            return value

        if isinstance(inner, GraphQLScalarType):
            return _scalar_plan(inner, settled)
        if isinstance(inner, GraphQLList):
            item = self._value_plan(inner.of_type, details)
            if item is None:
                return None

            def each(values: Any) -> list[Any] | None:
                values = settled(values)
                if values is None:
                    return None
                if type(values) not in (list, tuple):
                    raise _Unplain  # other iterables as graphql-core has them
                return [item(v) for v in values]

            return each
        if isinstance(inner, GraphQLObjectType):
            complete_object = self._object_plan(inner, details)
            if complete_object is None:
                return None

            def object_value(value: Any) -> Any:
                value = settled(value)
                return None if value is None else complete_object(value)

            return object_value
        return None  # enums, interfaces and unions: graphql-core's to complete


def _scalar_plan(scalar: GraphQLScalarType, settled: Complete) -> Complete:
    coerce = scalar.coerce_output_value

    def leaf(value: Any) -> Any:
        value = settled(value)
        if value is None:
            return None
        try:
            coerced = coerce(value)
        except Exception:
            raise _Unplain from None  # graphql-core reports what the scalar refused
        if coerced is None or coerced is Undefined:
            raise _Unplain
        return coerced

    if coerce is strawberry_isoformat:  # DateTime, Date and Time

        def as_iso(value: Any) -> Any:
            if type(value) is datetime:
                return isoformat(value)  # what the scalar returns, faster
            return leaf(value)

        return as_iso
    same = _AS_IS.get(scalar.name) if scalar in _BUILT_IN else None
    if same is None:
        return leaf

    if same is int:

        def as_int(value: Any) -> Any:
            # An Int within 32 bits is returned as it is; anything else as the scalar says.
            if type(value) is int and _INT_MIN <= value <= _INT_MAX:
                return value
            return leaf(value)

        return as_int

    def as_is(value: Any) -> Any:
        # What the built-in scalar would return unchanged.
        if type(value) is same:
            return value
        return leaf(value)

    return as_is


def _once(complete_object: Complete) -> Complete:
    """``complete_object``, its answer for an ``Unchanging`` object kept with the object."""

    def once(source: Any) -> Any:
        if not isinstance(source, Unchanging):
            return complete_object(source)
        done: dict[Complete, Any] | None = vars(source).get(_COMPLETED)
        if done is None:
            done = vars(source)[_COMPLETED] = {}
        found = done.get(once)
        if found is None:
            found = done[once] = complete_object(source)
        return found

    return once


def _constant(value: str) -> Complete:
    return lambda _source: value


def _same(value: Any) -> Any:
    return value
