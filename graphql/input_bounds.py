"""Every argument of every root field checked against the catalog's bounds before it is used.

Commands read their input before any event is built: a dose of ``NaN`` compared with 0
raises, a date in year 9999 overflows ``date + timedelta``, a million list entries are
looped over. So the API refuses any argument no event could carry (``events/bounds.py``:
control characters, text over the longest note, lists over the count bound, numbers that
are not finite or too large, dates outside the plausible years) as ``BAD_USER_INPUT``
naming the field, before the resolver runs. Each field's own rules (a 200-character name,
a dose above 0) are the command's and the event's to check.

Query and subscription arguments are held to the same bounds except the plausible years:
a filter only compares, and a date far out is a fair way to say "everything". A filter's
list given empty (``kinds: []``) is refused naming it (``<field>-not-empty``): each read
took it as the filter left out and answered everything, the opposite of what it says. A
position (``atLeast``, a subscription's or log's ``after``, a log's ``through`` or
``before``) below 0 is refused too (``position-not-negative``): none is recorded there, and
each was read as "any" or answered an empty page, which an auditor read as nothing logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition, has_object_definition
from strawberry.types.unset import UnsetType

from carecoord.events import bounds
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.stamp import to_camel

BOUNDS = "value-bounds"

Where = tuple[str, ...]
Found = tuple[Where, str, str]
"""Where a value is refused, by which rule, and why."""


class BoundedArguments(FieldExtension):
    """Refuses a field's arguments if any value in them is out of bounds."""

    def __init__(self, *, dates: bool, reads: bool) -> None:
        self.dates = dates
        self.reads = reads

    def map_arguments(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        for name, value in kwargs.items():
            at = () if name == "input" else (to_camel(name),)
            if self.reads:
                read_problem(to_camel(name), value)
            found = self.problem(value, at)
            if found is not None:
                where, rule, reason = found
                field = ".".join(where) or "input"
                raise InvalidInput(field, rule, f"{field} {reason}")
        return kwargs

    def problem(self, value: object, at: Where) -> Found | None:
        """Where, by which rule and why a value is refused, at its first value out of
        bounds (None when all are within). An input's fields are walked by a plan made
        once per input type: every mutation walks its input."""
        kind = type(value)
        if kind in _WITHIN:
            return None
        if isinstance(value, list | tuple):
            found = bounds.count_problem(len(value))
            if found:
                return at, BOUNDS, found
            return self._first((item, (*at, str(n))) for n, item in enumerate(value))
        if has_object_definition(value):
            fields = _fields(kind)
            return self._first((getattr(value, python), (*at, name)) for python, name in fields)
        return self._scalar_problem(value, at)

    def _scalar_problem(self, value: object, at: Where) -> Found | None:
        if isinstance(value, datetime) and (found := bounds.offset_problem(value)):
            return at, "time-offset", found
        if not isinstance(value, UnsetType) and (self.dates or not isinstance(value, date)):
            found = bounds.problem(value)
            if found:
                return at, BOUNDS, found
        return None

    def _first(self, values: Iterable[tuple[object, Where]]) -> Found | None:
        for value, at in values:
            found = self.problem(value, at)
            if found is not None:
                return found
        return None


_WITHIN = frozenset({bool, UUID, type(None)})
"""Values within bounds whatever they are (``bounds.problem`` finds nothing in them)."""


_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}


def _fields(kind: type) -> tuple[tuple[str, str], ...]:
    """Each field of an input type: its Python name and the name the API gives it (listed
    once per type)."""
    fields = _FIELDS.get(kind)
    if fields is None:
        definition = kind.__strawberry_definition__  # type: ignore[attr-defined]
        fields = _FIELDS[kind] = tuple(
            (field.python_name, field.graphql_name or to_camel(field.python_name))
            for field in definition.fields
        )
    return fields


POSITIONS = frozenset({"atLeast", "after", "before", "through"})
"""A read's arguments that, given a number, name a position in the store or a log."""


def read_problem(field: str, value: object) -> None:
    """Refuses a read's argument that could only be a mistake: a filter's list given empty,
    a position below 0."""
    if field in POSITIONS and isinstance(value, int) and value < 0:
        raise InvalidInput(
            field,
            "position-not-negative",
            f"{field} is a position: 0 or more, as a mutation, a delivered item or a page answered"
            " it",
        )
    if isinstance(value, list) and not value:
        raise InvalidInput(
            field,
            f"{field}-not-empty",
            f"{field} is empty: name at least one, or leave {field} out",
        )


def bound_arguments(root: type, *, dates: bool = True, reads: bool = False) -> None:
    """Check the arguments of every field of a root type (``dates``: the plausible years
    too; ``reads``: a query's or subscription's own rules, ``read_problem``); once per
    field."""
    definition = root.__strawberry_definition__  # type: ignore[attr-defined]
    assert isinstance(definition, StrawberryObjectDefinition)
    for field in definition.fields:
        if not any(isinstance(e, BoundedArguments) for e in field.extensions):
            field.extensions.append(BoundedArguments(dates=dates, reads=reads))
