"""The Decimal scalar, read as a clinician writes a number: ASCII digits, an optional minus
and an optional fraction (``60``, ``0.5``, ``-2.25``).

Strawberry's own takes whatever ``decimal.Decimal`` takes: ``"7_0"`` (seventy),
full-width or Arabic-Indic digits, ``"6e1"``, ``" 60 "``, ``"Infinity"``. A dose read from
any of those is a number nobody meant to type, so each is refused at the edge, where the
error names the field, before a command sees it.
"""

from __future__ import annotations

import decimal
import re

from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.types.scalar import ScalarDefinition

_WRITTEN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
"""What a decimal input may look like; ``fullmatch``, so nothing around it."""


def parse(text: str) -> decimal.Decimal:
    if _WRITTEN.fullmatch(text) is None:
        raise ValueError("Write it with the digits 0-9, an optional '-' and '.' (60, 0.5)")
    return decimal.Decimal(text)


DECIMAL = ScalarDefinition(
    name="Decimal",
    description="A decimal number as text: the digits 0-9, an optional leading '-' and an"
    " optional '.' fraction (60, 0.5, -2.25).",
    specified_by_url=None,
    serialize=str,
    # A JSON number (60, 0.5) is taken as its text, as Strawberry's own takes it.
    parse_value=wrap_parser(parse, "Decimal", exceptions=(ValueError,), accept_non_string=True),
    parse_literal=None,
    origin=decimal.Decimal,
)
