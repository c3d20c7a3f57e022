"""A take-home return its witness never confirms raises an alert once a day has passed.
Before, methadone destroyed on one nurse's word stayed on the DEA log unwitnessed for good
and nobody was told: a return recorded to cover diverted doses looks just so."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import isolated_settings
from medication_steps import NURSE, Clinic
from test_take_home_return_api import RETURN, WITNESS, bottles, home_with_bottles
from test_take_home_return_witness_api import CONFIRM

from carecoord.events import Role
from carecoord.projections import dispensing_log
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.return_sweep import sweep_once
from support import Api

ALERTS = """query($id: UUID!) { clientAlerts(clientId: $id, atLeast: %d) {
  ruleId status detail raisedAt history } }"""
"""``atLeast`` written in the query as a literal, which reads as a position whether the schema
types positions Int or Seq."""


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """The sweep runs when the test says, not on its own timer."""
    return isolated_settings(data_dir, missed_dose_interval_seconds=3600)


async def unwitnessed(api: Api, clinic: Clinic) -> list[Any]:
    found = await api.ok(
        ALERTS % clinic.position, {"id": clinic.client_id}, role=Role.NURSE, user=NURSE
    )
    return [a for a in found["clientAlerts"] if a["ruleId"] == "take-home-return-unwitnessed"]


async def swept(api: Api, clinic: Clinic, at: datetime) -> int:
    """The sweep as of ``at``; reads from here on include what it recorded."""
    platform = api.platform
    raised = await sweep_once(platform, at)
    clinic.position = await asyncio.to_thread(platform.store.last_position)
    return raised


async def test_a_return_unconfirmed_for_a_day_raises_an_alert_its_confirmation_resolves(
    api: Api, today: date
) -> None:
    clinic, _, dispense_id = await home_with_bottles(api, today, "Tomas E.")
    tomorrow = today + timedelta(days=1)
    back = await clinic.nurse(RETURN, bottles=bottles(dispense_id, tomorrow), witnessId=WITNESS)
    returned_at = datetime.now(UTC)
    assert await api.platform.progress.reach(dispensing_log.NAME, back["position"], 10)

    assert await swept(api, clinic, returned_at + timedelta(hours=23)) == 0
    assert await unwitnessed(api, clinic) == []
    assert await swept(api, clinic, returned_at + timedelta(hours=25)) == 1
    assert await swept(api, clinic, returned_at + timedelta(hours=26)) == 0

    [alert] = await unwitnessed(api, clinic)
    assert alert["status"] == "OPEN"
    assert alert["detail"] == (
        f"take-home return {back['id']} of {today}: 1 bottle destroyed before {WITNESS},"
        " not confirmed by them within 24 h"
    )
    confirmed = await api.ok(
        CONFIRM, {"i": {"clientId": clinic.client_id, "returnId": back["id"]}},
        role=Role.NURSE, user=WITNESS,
    )  # fmt: skip
    clinic.position = confirmed["witnessTakeHomeReturn"]["position"]

    [alert] = await unwitnessed(api, clinic)
    assert alert["status"] == "RESOLVED"
    [step] = alert["history"]
    assert step["by"] == WITNESS
