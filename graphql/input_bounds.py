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
position (``atLeast``, a subscription's or log's ``after``) below 0 is refused too
(``position-not-negative``): none is recorded there, and each was read as "any".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition, has_object_definition
from strawberry.types.unset import UnsetType

from carecoord.events import bounds
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.kernel.stamp import to_camel

BOUNDS = "value-bounds"


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
            for where, rule, reason in self.problems(value, at):
                field = ".".join(where) or "input"
                raise InvalidInput(field, rule, f"{field} {reason}")
        return kwargs

    def problems(
        self, value: object, at: tuple[str, ...]
    ) -> Iterator[tuple[tuple[str, ...], str, str]]:
        """Where, by which rule and why a value is refused."""
        if isinstance(value, list | tuple):
            found = bounds.count_problem(len(value))
            if found:
                yield at, BOUNDS, found
                return
            for n, item in enumerate(value):
                yield from self.problems(item, (*at, str(n)))
        elif has_object_definition(value):
            for field in value.__strawberry_definition__.fields:
                name = field.graphql_name or to_camel(field.python_name)
                yield from self.problems(getattr(value, field.python_name), (*at, name))
        elif isinstance(value, datetime) and (found := bounds.offset_problem(value)):
            yield at, "time-offset", found
        elif not isinstance(value, UnsetType) and (self.dates or not isinstance(value, date)):
            found = bounds.problem(value)
            if found:
                yield at, BOUNDS, found


POSITIONS = frozenset({"atLeast", "after"})
"""A read's arguments that, given a number, name a position in the store or a log."""


def read_problem(field: str, value: object) -> None:
    """Refuses a read's argument that could only be a mistake: a filter's list given empty,
    a position below 0."""
    if field in POSITIONS and isinstance(value, int) and value < 0:
        raise InvalidInput(
            field,
            "position-not-negative",
            f"{field} is a position: 0 or more, as a mutation or a delivered item answered it",
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
