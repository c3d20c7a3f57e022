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

from carecoord.events import amounts
from graphql import GraphQLError

_WRITTEN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
"""What a decimal input may look like; ``fullmatch``, so nothing around it."""


class WrittenNumber(float):
    """A JSON number with a fraction or an exponent, as the request wrote it (``str``,
    ``repr``); a float to all else, but for the integer it says (``int``): graphql-core's
    ``Int`` reads ``2.0`` and ``1e0`` as graphql-js does, and refuses ``1.5``.

    The standard library's JSON reading makes such a number a float, which keeps some 17
    digits: a dose sent as the number ``39.99999999999999999999`` was read as 40 and recorded
    as a dose of 40 (the same digits as text are refused: more than 12 decimal places), and
    ``0.0000001`` was refused quoting ``1e-07``, which nobody wrote. ``app.py`` reads every
    request's numbers so, and the Decimal scalar takes their text. An ``Int`` sent as
    ``0.99999999999999999`` was read so as 1 (a slot, a count of days): graphql-js reads it as
    1 only because its JSON reading lost the digits that say it is no integer, which this
    one keeps, so it is refused as 1.5 is."""

    text: str

    def __new__(cls, text: str) -> WrittenNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def __int__(self) -> int:
        """The integer written, or refused in graphql-core's words where none is (an
        ``Int`` reads its value as ``int`` and compares it with the float)."""
        written = decimal.Decimal(self.text)
        if written != written.to_integral_value():
            raise GraphQLError(f"Int cannot represent non-integer value: {self.text}")
        return super().__int__()  # exact to 2**53, far past an Int's 32 bits


def parse(text: str) -> decimal.Decimal:
    if _WRITTEN.fullmatch(text) is None:
        raise ValueError("Write it with the digits 0-9, an optional '-' and '.' (60, 0.5)")
    return decimal.Decimal(text)


DECIMAL = ScalarDefinition(
    name="Decimal",
    description="A decimal number as text: the digits 0-9, an optional leading '-' and an"
    " optional '.' fraction (60, 0.5, -2.25).",
    specified_by_url=None,
    # An amount as a reader reads it ("40", never "40.000000000000"): the event keeps it as
    # it was written.
    serialize=amounts.shown,
    # A JSON number (60, 0.5) is taken as its text (``WrittenNumber``): 6e1 is refused as
    # "6e1" is, and no digit past a float's is lost.
    parse_value=wrap_parser(parse, "Decimal", exceptions=(ValueError,), accept_non_string=True),
    parse_literal=None,
    origin=decimal.Decimal,
)
