"""A summary line filled from only the fields its template names.

``summary_template.format(**facts())`` turned every field of an event into its JSON form
to fill two or three of them: for a dose (twenty fields) that cost as much as decoding it,
and the timeline summarises every event, live and in a rebuild. A template that names
plain fields (``{medication}``: no format spec, conversion, attribute or index) is filled
from those attributes, each as its JSON form reads: an enum by its value, and a str, int,
Decimal, UUID or date as it is, which reads the same. Any other value or template is
filled from ``facts()`` as before, so the line is the same either way: a rebuilt timeline
must match the one projected live (``carecoord audit projections``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from string import Formatter
from typing import Any
from uuid import UUID

from carecoord.events import amounts

_AS_IS = frozenset({str, int, UUID, date, type(None)})
"""Types whose value formats as its JSON form reads (``datetime`` does not: a space, not
``T``; ``bool`` is left to the long way with the rest)."""


def named(template: str, fields: frozenset[str]) -> tuple[str, ...] | None:
    """The fields ``template`` names, if each is named plainly and is one of ``fields``."""
    names = []
    for _, name, spec, conversion in Formatter().parse(template):
        if name is None:
            continue
        if name not in fields or spec or conversion:
            return None
        names.append(name)
    return tuple(names)


def filled(template: str, names: tuple[str, ...], event: Any) -> str | None:
    """``template`` filled from ``event``'s attributes ``names`` (what ``named`` found in
    it), or None where one could read differently from its JSON form."""
    values = {}
    for name in names:
        value = getattr(event, name)
        if type(value) in _AS_IS:
            values[name] = value
        elif type(value) is Decimal:
            values[name] = amounts.shown(value)
        elif isinstance(value, Enum) and type(value.value) in (str, int):
            values[name] = value.value
        else:
            return None
    return template.format_map(values)
