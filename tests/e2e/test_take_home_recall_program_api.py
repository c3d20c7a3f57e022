"""take-home-recall is a row of the program's alert table, through the API: a program file
sets its severity as any row's, the recall a stop raises carries it and the changed row's
version, and the replay with the same file agrees. Before, the file was refused at start
naming no such rule, and the recall stayed high whatever the program signed off."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from conftest import isolated_settings
from medication_steps import NURSE
from test_take_home_recall_api import stopped_with_bottles_out

from carecoord.events import Role
from carecoord.events.alerts import AlertRaised
from carecoord.services.alerts.replay import decision_order, replay
from carecoord.services.infrastructure.settings import Settings
from support import Api

PROGRAM = """
[alerts]
source = "Medical director sign-off, 2026-02-01"

[alerts.rules.take-home-recall]
severity = "moderate"
"""
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId ruleVersion severity } }"""


@pytest.fixture
def settings(data_dir: Path, tmp_path: Path) -> Settings:
    program = tmp_path / "program.toml"
    program.write_text(PROGRAM)
    return isolated_settings(data_dir, program_file=program)


async def test_the_program_s_severity_for_the_recall_holds_for_a_stop(
    api: Api, today: date
) -> None:
    clinic = await stopped_with_bottles_out(api, today, "Noor K.", "P")

    found = await api.ok(
        ALERTS, {"id": clinic.client_id, "atLeast": clinic.position}, role=Role.NURSE, user=NURSE
    )
    row = api.platform.alert_rules.rule("take-home-recall")
    assert row is not None
    assert row.version.startswith("3+program:")
    assert found["clientAlerts"] == [
        {"ruleId": "take-home-recall", "ruleVersion": row.version, "severity": "moderate"}
    ]
    stored = await asyncio.to_thread(api.platform.store.read, 0, 10_000)
    events = [e for e in decision_order(stored) if str(e.client_id) == clinic.client_id]
    recorded = [e for e in events if isinstance(e, AlertRaised)]
    assert replay(api.platform.alert_rules, events) == recorded
