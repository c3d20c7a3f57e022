"""Medication and stock commands are counted in the metrics under the command an operator
knows them by, not under the shared helper that loads their records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

from carecoord.events import Actor, Role, Schedule
from carecoord.services.infrastructure.metrics import command_name
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication import commands as medication
from carecoord.services.medication.dispensing import GivenDose
from carecoord.services.medication.prescribing import NewOrder
from carecoord.services.medication.rules import DEFAULT_RULES
from carecoord.services.stock import commands as stock

STAMP = Stamp(Actor(id="dr-lee", role=Role.PRESCRIBER), clock=lambda: datetime.now(UTC))


def test_medication_and_stock_commands_are_counted_under_their_own_names() -> None:
    """Doses, holds and the rest were all counted as from_stock, orders as on_picture and
    every stock entry as _on_site, so an operator could not tell failing doses from holds."""
    client_id, order_id = uuid4(), uuid4()
    order = NewOrder("methadone", Decimal("60"), "mg", "oral", Schedule(), date(2026, 2, 1))
    built = {
        "prescribe": medication.prescribe(STAMP, client_id=client_id, order=order),
        "hold_order": medication.hold_order(
            STAMP, client_id=client_id, order_id=order_id, reason="intoxicated"
        ),
        "administer_dose": medication.administer_dose(
            STAMP, client_id=client_id, dose=GivenDose(order_id, Decimal("60"), "oral solution")
        ),
        "witness": stock.witness(STAMP, site="OTP", entry_id=uuid4(), rules=DEFAULT_RULES),
    }
    assert {name: command_name(command) for name, command in built.items()} == {
        name: name for name in built
    }
