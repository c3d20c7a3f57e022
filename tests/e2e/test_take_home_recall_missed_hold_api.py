"""A client sent home with bottles for later days who then misses three days at the window:
the missed-dose rule holds the order until a prescriber assesses them, their tolerance
perhaps lost, and the bottles at home hold the full dose. A prescriber's hold over those
days asked for the bottles' recall; the sweep's hold asked for nothing, and the bottles
stayed out with no alert while every return answered them as still to come back."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import TAKE_HOME, Clinic
from test_take_home_return_api import RETURN, WITNESS, bottles, recalls

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """The sweep runs when the test says, not on its own timer."""
    return isolated_settings(data_dir, missed_dose_interval_seconds=3600)


async def test_the_sweeps_hold_over_days_bottles_are_out_for_asks_for_their_recall(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Dara M.")
    order = (await clinic.methadone("60", today - timedelta(days=1)))["id"]
    await clinic.doses(order, today - timedelta(days=1), 2, "60")
    await clinic.eligible(6)
    later = [today + timedelta(days=n) for n in (4, 5, 6)]
    handed = await clinic.nurse(
        TAKE_HOME, orderId=order, firstDay=str(later[0]), days=3, dosageForm="oral solution",
        bottles=[{"bottle": f"D-{n}", "lot": "LOT-A"} for n in range(3)],
    )  # fmt: skip

    await clinic.swept(later[0])  # the three days between passed with no dose: held

    [alert] = await recalls(api, clinic)
    assert (alert["status"], alert["detail"]) == (
        "OPEN", f"3 bottles for days after {today}: lot LOT-A {later[0]} to {later[-1]} (3)"
    )  # fmt: skip
    clinic.position = await api.join_care_team(clinic.client_id, Role.NURSE, WITNESS)
    back = await clinic.nurse(RETURN, bottles=bottles(handed["id"], *later), witnessId=WITNESS)
    assert back["stillOut"] == []
    [alert] = await recalls(api, clinic)
    assert alert["status"] == "RESOLVED"
