"""What every value in an event must be, whatever the event: the catalog's own checks.

A field's declared constraints say what it means (a dose above 0, a QTc between 250 and
800 ms); these bounds say what any value must be for the pipeline to carry it at all, so
that a new event type cannot forget them. PostgreSQL text cannot hold NUL, numeric
cannot hold NaN or a million digits, and the broker refuses a message over 1 MB: a value
that gets past the API but not past one of those is stored and then retried forever.

| value | bound |
|---|---|
| text | no control characters but tab and line breaks, no bidi controls, no noncharacters |
| a string field | its own ``max_length``, else ``TEXT_MAX``; never over ``NOTE_MAX`` |
| a string in a list, tuple or dict key | ``ITEM_MAX`` (a label: a side effect, an item id) |
| a list, tuple or dict | ``COUNT_MAX`` entries (or its own smaller ``max_length``) |
| a number | finite, under ``NUMBER_MAX`` in size, at most ``PLACES_MAX`` decimal places |
| a decimal field | the decimal places its measure is read to, where it declares them (``Places``) |
| a date or time | a year from ``YEAR_MIN`` to ``YEAR_MAX`` (a time's in UTC) |
| a time | a UTC offset from ``OFFSET_MIN`` to ``OFFSET_MAX`` |
| the whole event | ``EVENT_BYTES_MAX`` bytes of JSON |

Nor lone surrogates; bidi controls are the embeddings, overrides and isolates (U+202A-202E,
U+2066-2069) and the invisible marks (U+200E LRM, U+200F RLM, U+061C ALM); noncharacters are
the 66 code points Unicode keeps out of interchange (U+FDD0-FDEF and the last two of every
plane, U+FFFE and U+FFFF among them). Free text keeps tab and the line breaks everywhere: a
one-line field (an id, a name) is not told apart from a note here, only by its own
constraints.

A decimal field declares the places its measure is read to (``Annotated[Decimal, Places(2)]``,
``events/amounts.py``): hours of sleep were taken to 12 decimal places, a sixteenth of a
nanosecond, and a dose checked to a thousandth in one command was not in the event that
carries it. Each is refused naming the field, under rule ``decimal-places``. Its
magnitude is declared with it, as a pydantic constraint (``AMOUNT_MAX``): unlike these
bounds, that holds for a stored event too, so one past it does not decode and is set aside.

Text that must say something (a required reason or note) is judged by what a reader sees
(``visible``, ``said``): spaces and zero-width characters such as U+200B count as characters
yet say nothing, and are refused as a blank is.

The checks run whenever an event is constructed or validated, except when a stored or
published one is decoded (``CareEvent.from_stored``): history recorded before a bound
existed stays readable. The API checks its arguments with the same ``problem``
before any command reads them (``graphql/input_bounds.py``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, get_args
from uuid import UUID

from annotated_types import MaxLen
from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError, to_json

TEXT_MAX = 4_000
"""Characters in a string field that declares no ``max_length`` of its own."""
NOTE_MAX = 20_000
"""Characters in any string field: the longest free-text note (a session note)."""
ITEM_MAX = 200
"""Characters in a string held in a list or tuple, or a dict's key."""
COUNT_MAX = 200
"""Entries in a list, tuple or dict."""
NUMBER_MAX = 10**12
"""Any number's magnitude is below this."""
PLACES_MAX = 12
"""Decimal places of a ``Decimal``."""
YEAR_MIN, YEAR_MAX = 1900, 2200
"""Years a date or time may fall in (clinical plausibility is each field's own rule)."""
OFFSET_MIN, OFFSET_MAX = timedelta(hours=-12), timedelta(hours=14)
"""The UTC offsets in use: PostgreSQL stores none past 15:59, and a stored event holding one
failed every read that casts it."""
EVENT_BYTES_MAX = 64 * 1024
"""Bytes of an event's JSON: far below the broker's 1 MB message limit."""

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
"""C0 and C1 controls but tab and line breaks, and lone surrogates."""
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""The bidirectional controls: with them a name or note shows other than it is stored (an
override turns "Dose 60" into "06 esoD" on every screen; an RLM or ALM before "10-20 mg"
shows "20-10 mg"). Right-to-left text needs none: its letters carry their direction."""
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000, 0x10000)
)
"""Code points Unicode reserves for a program's own use, never text (U+FFFE is a byte-order
mark read backwards): another system reading the record may drop or replace them."""
_FORBIDDEN = re.compile(f"[{_CONTROLS}{_BIDI}{_NONCHARACTERS}]")
_KINDS = (
    (
        re.compile(f"[{_BIDI}]"),
        "the bidirectional control",
        "it makes text show other than it is recorded",
    ),
    (re.compile(f"[{_NONCHARACTERS}]"), "the noncharacter", "it is no text"),
)
"""What a character ``_FORBIDDEN`` finds is, and why it is refused (else a control)."""

Loc = tuple[str | int, ...]
PLACES_RULE = "decimal-places"
"""The rule a decimal with more places than its field's measure is refused under."""
BOUNDS_RULE = "out_of_bounds"
"""The rule of every other value out of bounds."""


@dataclass(frozen=True, slots=True)
class Places:
    """A decimal field's own decimal places, declared with its type
    (``Annotated[Decimal, Places(2)]``): trailing zeros are not counted (``7.50`` has one)."""

    most: int


def text_problem(value: str, limit: int) -> str | None:
    """Why ``value`` cannot be carried as text of at most ``limit`` characters, if it cannot."""
    if len(value) > limit:
        return f"is {len(value)} characters long; at most {limit} are accepted"
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        found = bad.group()
        kind, why = next(
            ((kind, why) for pattern, kind, why in _KINDS if pattern.match(found)),
            ("the control character", "only tab, line feed and carriage return are accepted"),
        )
        return f"holds {kind} U+{ord(found):04X} at {bad.start()}; {why}"
    return None


_DRAWN_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Letters and symbols Unicode calls printable that are drawn as nothing: the Hangul fillers
and the blank braille pattern."""
_MARKS = frozenset({"Mn", "Me"})
"""Marks drawn on the character before them: alone, on nothing (U+034F, U+0301...)."""


def visible(text: str) -> int:
    """Characters of ``text`` a reader sees: not spaces, not zero-width (format) characters
    such as U+200B, not the fillers that are drawn blank, and not marks that would sit on
    nothing; each counts as a character yet reads as nothing (a note or a reason of them
    looks written and says nothing). A letter with its accents counts once."""
    return sum(
        ch.isprintable()
        and not ch.isspace()
        and ch not in _DRAWN_BLANK
        and unicodedata.category(ch) not in _MARKS
        for ch in text
    )


def said(text: str) -> str:
    """``text`` trimmed, or ``""`` when it shows nothing (only spaces or zero-width
    characters): a command that requires a reason or a note takes it through this and
    refuses ``""`` as it refuses a blank one, with the same field and rule; the event keeps
    the trimmed text."""
    return text.strip() if visible(text) else ""


def count_problem(count: int, limit: int = COUNT_MAX) -> str | None:
    if count > limit:
        return f"has {count} entries; at most {limit} are accepted"
    return None


def number_problem(value: int | float | Decimal) -> str | None:
    """Why a number cannot be carried (NaN, an infinity, or out of size), if it cannot."""
    if isinstance(value, Decimal):
        finite = value.is_finite()
    else:
        finite = not isinstance(value, float) or math.isfinite(value)
    if not finite:
        return "must be a finite number"
    size = abs(value) if isinstance(value, int) else abs(float(value))
    if size >= NUMBER_MAX:
        return f"must be below {NUMBER_MAX:.0e} in size"
    if isinstance(value, Decimal):
        return places_problem(value, PLACES_MAX)
    return None


def places_problem(value: Decimal, most: int) -> str | None:
    """Why a decimal has more places than ``most``, if it has."""
    if value and value.is_finite() and _places(value) > most:
        return f"has more than {most} decimal places; round it to {most}"
    return None


def _places(value: Decimal) -> int:
    """Digits after the point that matter (``60.000`` has none)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "finite"
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return -exponent - trailing


def date_problem(value: date) -> str | None:
    """A time is judged in UTC, as it is stored and compared: 1900-01-01T00:00+14:00 passed
    as 1900 in its own offset and was stored as 1899-12-31 UTC."""
    year = _utc_year(value) if isinstance(value, datetime) else value.year
    if not YEAR_MIN <= year <= YEAR_MAX:
        shown = "" if year == value.year else f" in UTC ({value.year} at its offset)"
        return f"must fall in the years {YEAR_MIN} to {YEAR_MAX}, not {year}{shown}"
    return None


def _utc_year(moment: datetime) -> int:
    """The year of the instant ``moment`` names in UTC (its own without an offset). One past
    the calendar in UTC (year 1 ahead of UTC, 9999 behind it) is out of bounds anyway, and
    is judged by its own year."""
    if moment.utcoffset() is None:
        return moment.year
    try:
        return moment.astimezone(UTC).year
    except OverflowError:
        return moment.year


def offset_problem(moment: datetime) -> str | None:
    """Why a time's offset is refused: without one it names no instant (compared with the
    clock it fails), and one no place uses is one PostgreSQL may not store."""
    offset = moment.utcoffset()
    if offset is None:
        return "needs its UTC offset (e.g. Z)"
    if not OFFSET_MIN <= offset <= OFFSET_MAX:
        return "has a UTC offset no place uses: -12:00 to +14:00 are accepted"
    return None


def problem(value: object, text_limit: int = NOTE_MAX) -> str | None:
    """Why one scalar cannot be carried, if it cannot; containers are the caller's to walk."""
    if isinstance(value, Enum | UUID | bool) or value is None:
        return None
    if isinstance(value, str):
        return text_problem(value, text_limit)
    if isinstance(value, int | float | Decimal):
        return number_problem(value)
    if isinstance(value, datetime):
        return offset_problem(value) or date_problem(value)
    if isinstance(value, date):
        return date_problem(value)
    return None


Found = tuple[Loc, str, str]
"""Where a value is out of bounds, why, and under which rule."""


def problems(model: BaseModel, at: Loc = ()) -> Iterator[Found]:
    """Every value of ``model`` (and the models, lists and dicts in it) out of bounds."""
    for name, declared, text_limit, places in _declared(type(model)):
        value = getattr(model, name)
        kind = type(value)
        if kind is str:  # the common cases, without the walk
            found = text_problem(value, text_limit)
        elif kind in _WITHIN:
            continue
        elif (scalar := _SCALARS.get(kind)) is not None:
            found = scalar(value)
            if not found and places is not None and kind is Decimal:
                found = places_problem(value, places)
                if found:
                    yield (*at, name), found, PLACES_RULE
                    continue
        elif not isinstance(value, _PLAIN):
            yield from _walk(value, (*at, name), declared, TEXT_MAX)
            continue
        else:
            continue
        if found:
            yield (*at, name), found, BOUNDS_RULE


_PLAIN = (bool, UUID, Enum)
"""Values always within bounds (skipped without a look)."""
_WITHIN = frozenset({bool, UUID, type(None)})
"""The types of ``_PLAIN`` values and of None, found by their exact type."""


def _time_problem(moment: datetime) -> str | None:
    return offset_problem(moment) or date_problem(moment)


_SCALARS: dict[type, Callable[[Any], str | None]] = {
    int: number_problem,
    float: number_problem,
    Decimal: number_problem,
    date: date_problem,
    datetime: _time_problem,
}
"""What ``problem`` asks of a value of each of these exact types (an enum's value, a
subclass, is walked as before)."""


@cache
def _declared(cls: type[BaseModel]) -> tuple[tuple[str, int | None, int, int | None], ...]:
    """Each field of ``cls``, the ``max_length`` it declares (if any), its text limit and the
    decimal places it declares (if any)."""
    found = []
    for name, info in cls.model_fields.items():
        declared = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
        places = _declared_places(info.metadata, info.annotation)
        found.append((name, declared, min(declared or TEXT_MAX, NOTE_MAX), places))
    return tuple(found)


def _declared_places(metadata: list[Any], annotation: object) -> int | None:
    """The places a field declares, on its type or on the decimal of an optional one
    (``Hours | None``, whose metadata pydantic keeps inside the union)."""
    inner = (m for arg in get_args(annotation) for m in _metadata_of(arg))
    for each in (*metadata, *_metadata_of(annotation), *inner):
        if isinstance(each, Places):
            return each.most
    return None


def declared_problem(annotation: object, value: object) -> str | None:
    """Why ``value`` has more decimal places than the type ``annotation`` declares: a command
    that checks an amount by its event's type before any event is built."""
    places = _declared_places([], annotation)
    if places is None or not isinstance(value, Decimal):
        return None
    return places_problem(value, places)


def _metadata_of(annotation: object) -> tuple[object, ...]:
    return tuple(getattr(annotation, "__metadata__", ()))


def _walk(value: object, at: Loc, declared: int | None, text_default: int) -> Iterator[Found]:
    if isinstance(value, BaseModel):
        yield from problems(value, at)
    elif isinstance(value, str) and not isinstance(value, Enum):
        limit = min(declared or text_default, NOTE_MAX)
        found = text_problem(value, limit)
        if found:
            yield at, found, BOUNDS_RULE
    elif isinstance(value, list | tuple | frozenset | set | Mapping):
        found = count_problem(len(value), min(declared or COUNT_MAX, COUNT_MAX))
        if found:
            yield at, found, BOUNDS_RULE
            return
        if isinstance(value, Mapping):
            for n, (key, item) in enumerate(value.items()):
                yield from _walk(key, (*at, n), None, ITEM_MAX)
                yield from _walk(item, (*at, n), None, ITEM_MAX)
        else:
            for n, item in enumerate(value):
                yield from _walk(item, (*at, n), None, ITEM_MAX)
    else:
        found = problem(value)
        if found:
            yield at, found, BOUNDS_RULE


def check(model: BaseModel) -> None:
    """Raise a ``ValidationError`` naming each value out of bounds, and an event too large."""
    found = list(problems(model))
    if not found:
        size = len(model.__pydantic_serializer__.to_json(model))
        if size > EVENT_BYTES_MAX:
            found = [(*_too_large(model, size), BOUNDS_RULE)]
    if found:
        raise ValidationError.from_exception_data(
            type(model).__name__,
            [
                InitErrorDetails(
                    type=PydanticCustomError(rule, "{reason}", {"reason": reason}),
                    loc=loc,
                    input=None,
                )
                for loc, reason, rule in found
            ],
        )


def _too_large(model: BaseModel, size: int) -> tuple[Loc, str]:
    """The field that takes the most room is named, as the one to shorten."""
    sizes = {name: len(to_json(getattr(model, name))) for name in type(model).model_fields}
    largest = max(sizes, key=sizes.__getitem__)
    return (largest,), (
        f"makes the event {size} bytes of JSON ({sizes[largest]} of them here);"
        f" at most {EVENT_BYTES_MAX} are accepted"
    )
