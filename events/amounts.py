"""An amount as a reader reads it: ``40 mg``, however its writer typed the 40.

A dose, a count or a quantity is recorded as written (``40.000000000000`` stays so in its
event, which nothing edits), but a nurse reading a timeline, a dosing view or the dispensing
log reads the number, not the typing: every line and field that shows an amount shows it so.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from carecoord.events.bounds import Places

AMOUNT_PLACES = 3
"""A dose, or a quantity of stock, in the formulary's unit: to a thousandth (of a milligram),
below any measuring device at the window; a dose is drawn from stock in the same unit."""
AMOUNT_MAX = 10_000_000
"""The most any amount in the formulary's unit is: 10 kg of substance, more than a site's
stock, which every dose is drawn from (a program's dose limit is at most 100 g a day)."""
Amount = Annotated[Decimal, Places(AMOUNT_PLACES), Field(le=AMOUNT_MAX)]
Hours = Annotated[Decimal, Places(2)]
"""Hours a client reports (of sleep): to a hundredth, a quarter hour written 7.25."""
CONCENTRATION_MAX = 100_000
"""The highest laboratory cutoff in ng/mL: screens cut off from about 1 (fentanyl) to 2,000
(opiates); the API refuses more as a unit typed wrong."""
Concentration = Annotated[Decimal, Places(3), Field(le=CONCENTRATION_MAX)]
"""A laboratory cutoff in ng/mL: analysers report to a thousandth at most."""


def shown(amount: Decimal) -> str:
    """``amount`` in plain digits, its fraction without trailing zeros (``40``, ``0.5``,
    ``1000``); exact, where ``normalize`` rounds to the context's precision and writes
    ``4E+1``; zero is ``0``, whatever its sign."""
    text = f"{amount:f}"
    text = text.rstrip("0").removesuffix(".") if "." in text else text
    return "0" if text == "-0" else text
