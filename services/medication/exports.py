"""Program-wide medication exports (DEA dispensing log, lot ledger, safety log) as CSV. They
name clients by id only; identity stays behind 42 CFR Part 2. Who may take them is
``services/kernel/policy.py`` (``MAY_LIST``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from carecoord.events import amounts

FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""How a spreadsheet tells a cell is a formula to run: an inspector opens these exports in
one, and a witness id or a site name is text a user typed."""


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def cell(value: object) -> str:
    """A value as its CSV cell; text a spreadsheet would run as a formula is written with a
    leading apostrophe, shown as the text it is (numbers, negative ones too, are not text);
    an amount as a reader reads it (``amounts.shown``)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA):
        return f"'{value}"
    if isinstance(value, Decimal):
        return amounts.shown(value)
    return str(value)
