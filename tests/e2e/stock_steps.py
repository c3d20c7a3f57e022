"""What the stock tests send, written once: a receipt of methadone at a site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def methadone_receipt(site: str, **changed: Any) -> dict[str, Any]:
    """A receipt of 1,000 mg of methadone oral solution, lot M-1, on DEA Form 222 number
    222-1, expiring in 300 days; ``changed`` replaces or adds fields (None leaves one out)."""
    given: dict[str, Any] = {
        "site": site, "lot": "M-1", "medication": "methadone", "dosageForm": "oral solution",
        "quantity": "1000", "containers": 1, "orderForm": "DEA_222", "orderFormNumber": "222-1",
        "supplier": "Mallinckrodt", "supplierDeaNumber": "RM1234563",
        "expiresOn": str(datetime.now(UTC).date() + timedelta(days=300)),
    }  # fmt: skip
    given.update(changed)
    return {k: v for k, v in given.items() if v is not None}
