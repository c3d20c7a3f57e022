"""The DateTime scalar: strawberry's own, read faster in the form clients send.

strawberry reads a DateTime with ``dateutil``'s ``isoparse`` (10 us, a dose's ``givenAt``
the largest part of coercing its variables). A time in the form RFC 3339 gives it
(``2026-11-27T12:00:00Z``, ``...12:00:00.5+05:30``: seconds, at most six digits of fraction,
an offset) is read by ``datetime.fromisoformat``, which reads that form as ``isoparse``
does, and given the zone strawberry's reading gives that offset (``tzutc`` for a zero one,
``tzoffset`` otherwise), so the value is the same either way. Anything else, and a time
the standard library refuses (February 30th), goes to strawberry's reading as before, so
what is accepted and each refusal's words are unchanged.

But for 24:00. ISO 8601 writes the end of a day so, and ``isoparse`` reads
``2026-11-27T24:00:00Z`` as midnight starting the 28th; a dose given "at 24:00 on the
27th" was charted on the 28th, its program day, its slot and the day's limits all the next
day's, though whoever wrote it meant the 27th. A clinical time names one moment of one day,
so an hour 24, in any form ``isoparse`` takes, is refused in strawberry's words with what to
write instead.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import cast

from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition

_STRAWBERRYS = cast("Callable[[object], datetime]", DateTimeDefinition.parse_value)
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?P<offset>Z|[+-]\d{2}:\d{2})"
)
"""The form read without ``isoparse``; ``fullmatch``, so nothing around it."""
_END_OF_DAY = re.compile(r"\d{4}(?:-?\d{2}-?\d{2}|-?W\d{2}(?:-?\d)?).24")
"""A date in a form ``isoparse`` reads, its separator and an hour 24; ``match``, from the
start."""
_ZONES: dict[str, tzinfo | None] = {}
"""Each offset's zone as strawberry's reading gives it, found once (at most ``ZONES_KEPT``)."""
ZONES_KEPT = 256


def parse_value(value: object) -> datetime:
    written = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if written is None:
        return _ISOPARSED(value)
    try:
        moment = datetime.fromisoformat(written.string)
    except ValueError:  # refused in strawberry's words
        return _ISOPARSED(value)
    return moment.replace(tzinfo=_zone(written["offset"]))


def _isoparsed(text: str) -> datetime:
    if _END_OF_DAY.match(text):
        raise ValueError(
            "24:00 is the day's end, read as the next day's 00:00; write the time it was"
            " (23:59 of that day, or 00:00 of the next)"
        )
    return _STRAWBERRYS(text)


_ISOPARSED = cast("Callable[[object], datetime]", wrap_parser(_isoparsed, "DateTime"))
"""Strawberry's reading, but for an hour 24: a refusal of its in its words."""


def _zone(offset: str) -> tzinfo | None:
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _STRAWBERRYS(f"2000-01-01T00:00:00{offset}").tzinfo
        if len(_ZONES) < ZONES_KEPT:
            _ZONES[offset] = zone
    return zone


DATETIME: ScalarDefinition = dataclasses.replace(DateTimeDefinition, parse_value=parse_value)
