"""What a dose or a take-home bottle may say it was poured from.

A dose is the medication context's and is never held up for stock bookkeeping: a lot the
site has no receipt of yet (one entered late) is drawn on all the same, and the next
opening or closing count waits for its receipt. A lot the site does hold of another
medication or form is different: the dose would take methadone mg out of a buprenorphine
lot, one lot coming up short at the count and the other over, so it is refused while the
nurse can still name the right lot. So is a lot no receipt could name (``LOT-7 `` with a
space, ``LOT-7`` with a zero-width space after it): the ledger showed it beside LOT-7 as one
more lot that reads the same, short by every dose drawn on it, with LOT-7 over by as much.
A lot the site holds past its expiry date on the day a draw is for is refused too
(``not-expired``, as a receipt of one is): its strength and purity are assured through that
date only (21 CFR 211.137(a): the expiration date assures the product meets its standards at
the time of use). The day a take-home bottle is for is the day it is taken, not the day it is
handed over: one handed over the day before its lot expires for the day after holds a dose
past that date. A lot the site has no receipt of yet has no expiry here to go by. A lot
named in other letters than the site's (``lot-7`` for its LOT-7) is that lot, and is drawn as
the site first recorded it: the stock ledger showed ``lot-7`` as a lot of its own, short by
every dose drawn on it, with LOT-7 over by as much.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from carecoord.events.stock import LOT_MAX, LOT_PATTERN
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.stock.record import SiteStock

EXPIRY_SOURCE = (
    "21 CFR 211.137(a): an expiration date assures the product meets its standards of"
    " identity, strength, quality and purity at the time of use"
)


def poured_from(
    stock: SiteStock,
    medication: str,
    dosage_form: str,
    lots: Iterable[tuple[str, str, date]],
) -> Mapping[str, str]:
    """Each (field, lot, day) named is written as a receipt writes a lot, and if the site
    holds it, is of ``medication`` in ``dosage_form`` and not expired on ``day``, the day the
    draw is for. The names as the site holds them, by the names given."""
    named: dict[str, str] = {}
    for field, name, day in lots:
        if len(name) > LOT_MAX or re.fullmatch(LOT_PATTERN, name) is None:
            raise InvalidInput(
                field,
                "lot-number",
                f"{field} is not a lot number as a receipt writes one: a letter or digit, then"
                f" letters, digits and . _ / - (no spaces or invisible characters), at most"
                f" {LOT_MAX} characters",
            )
        known = stock.held(name)
        if known is not None and (known.medication, known.dosage_form) != (
            medication,
            dosage_form,
        ):
            raise RuleViolation(
                field,
                "lot-medication",
                f"lot {name} here is {known.medication} {known.dosage_form}, not"
                f" {medication} {dosage_form}",
            )
        if known is not None and known.expires_on is not None and known.expires_on < day:
            raise RuleViolation(
                field,
                "not-expired",
                f"lot {name} expired on {known.expires_on}, before {day}, the day it is"
                f" given for: nothing is given from it for a day after its expiry (source:"
                f" {EXPIRY_SOURCE})",
            )
        named[name] = stock.named(name)
    return named
