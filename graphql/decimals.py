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


class WrittenNumber(float):
    """A JSON number with a fraction or an exponent, as the request wrote it (``str``); a float
    to all else (graphql-core's ``Int`` reads ``2.0`` as 2).

    The standard library's JSON reading makes such a number a float, which keeps some 17
    digits: a dose sent as the number ``39.99999999999999999999`` was read as 40 and recorded
    as a dose of 40 (the same digits as text are refused: more than 12 decimal places), and
    ``0.0000001`` was refused quoting ``1e-07``, which nobody wrote. ``app.py`` reads every
    request's numbers so, and the Decimal scalar takes their text."""

    text: str

    def __new__(cls, text: str) -> WrittenNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text


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
    # A JSON number (60, 0.5) is taken as its text (``WrittenNumber``): 6e1 is refused as
    # "6e1" is, and no digit past a float's is lost.
    parse_value=wrap_parser(parse, "Decimal", exceptions=(ValueError,), accept_non_string=True),
    parse_literal=None,
    origin=decimal.Decimal,
)
