"""The stock ledger's CSV is what an inspector opens in a spreadsheet. A witness id typed as
``@SUM(A1)`` (or a site named ``=HYPERLINK(...)``) reached it as a cell the spreadsheet runs
as a formula. Text cells starting as a formula does are written with a leading apostrophe;
numbers, negative ones included, are written as they are."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from carecoord.services.medication.exports import to_csv


def test_text_a_spreadsheet_would_run_is_written_as_text_and_numbers_as_numbers() -> None:
    rows = [["@SUM(A1)", "=1+1", "+1", "-x", "\tq", Decimal(-15), -2, "nurse-ola", None]]

    written = to_csv([f"c{n}" for n in range(9)], rows)

    [row] = list(csv.reader(io.StringIO(written)))[1:]
    assert row == ["'@SUM(A1)", "'=1+1", "'+1", "'-x", "'\tq", "-15", "-2", "nurse-ola", ""]
