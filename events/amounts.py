"""An amount as a reader reads it: ``40 mg``, however its writer typed the 40.

A dose, a count or a quantity is recorded as written (``40.000000000000`` stays so in its
event, which nothing edits), but a nurse reading a timeline, a dosing view or the dispensing
log reads the number, not the typing: every line and field that shows an amount shows it so.
"""

from __future__ import annotations

from decimal import Decimal


def shown(amount: Decimal) -> str:
    """``amount`` in plain digits, its fraction without trailing zeros (``40``, ``0.5``,
    ``1000``); exact, where ``normalize`` rounds to the context's precision and writes
    ``4E+1``; zero is ``0``, whatever its sign."""
    text = f"{amount:f}"
    text = text.rstrip("0").removesuffix(".") if "." in text else text
    return "0" if text == "-0" else text
