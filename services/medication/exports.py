"""Program-wide medication exports (DEA dispensing log, lot ledger, safety log) as CSV. They
name clients by id only; identity stays behind 42 CFR Part 2. Who may take them is
``services/kernel/policy.py`` (``MAY_LIST``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if value is None else str(value) for value in row] for row in rows)
    return out.getvalue()
