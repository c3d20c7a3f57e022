"""What a dose or a take-home bottle may say it was poured from.

A dose is the medication context's and is never held up for stock bookkeeping: a lot the
site has no receipt of yet (one entered late) is drawn on all the same, and the next count
shows it. A lot the site does hold of another medication or form is different: the dose
would take methadone mg out of a buprenorphine lot, one lot coming up short at the count and
the other over, so it is refused while the nurse can still name the right lot.
"""

from __future__ import annotations

from collections.abc import Iterable

from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.stock.record import SiteStock


def poured_from(
    stock: SiteStock, medication: str, dosage_form: str, lots: Iterable[tuple[str, str]]
) -> None:
    """Each (field, lot) named that the site holds is of ``medication`` in ``dosage_form``."""
    for field, name in lots:
        known = stock.lots.get(name)
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
