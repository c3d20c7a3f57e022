"""A listing of the reader's care team read with ``atLeast`` answers once the care-team view
has that position too, not only the view it lists: with two projectors sharing the read
models (``project --share 1/2`` and ``2/2``) the two are kept by different processes. A nurse
just added to a client's team, reading at the position of that assignment while the
care-team view lagged, was answered no alerts (``myAlerts``) though the client had an open
PHQ-9 item 9 alert, and no lot-ledger rows (``inventoryLedger``) though the client was dosed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import delete_stream, fresh_database, isolated_settings, serving_api
from medication_steps import PRESCRIBE, Clinic, mutation
from test_dispensing_access import LEDGER, ORDER

from carecoord.events import Role
from carecoord.services.runtime.bootstrap import Servers, running
from support import Api

SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
MY_ALERTS = """query($at: Seq) { myAlerts(atLeast: $at) { alerts { clientId ruleId } } }"""
NEW = "nurse-new"
PHQ9_ITEM_9 = [{"item": str(i), "value": 2 if i == 9 else 0} for i in range(1, 10)]


@pytest.fixture
async def shared(servers: Servers, data_dir: Path) -> AsyncIterator[tuple[Api, str]]:
    """The API over the share that keeps the alerts and the lot ledger, beside the share
    that keeps the care team; and the database's URL."""
    settings = isolated_settings(data_dir)
    with fresh_database(servers.database_url) as url:
        on = Servers(url, servers.nats_url)
        try:
            async with (
                running(settings.model_copy(update={"projector_share": "1/2"}), on) as platform,
                running(settings.model_copy(update={"projector_share": "2/2"}), on, relay=False),
                serving_api(platform) as api,
            ):
                yield api, url
        finally:
            await delete_stream(servers.nats_url, settings.stream_name)
            await delete_stream(servers.nats_url, f"{settings.stream_name}_ANCHORS")


async def joined_and_read(api: Api, url: str, client_id: str, query: str) -> Any:
    """``query`` read by a nurse at the position of their joining the client's care team,
    which the care-team share applies only after the read has begun."""
    with psycopg.connect(url) as held:
        # The care-team share cannot write its view while this lock is held.
        held.execute("LOCK TABLE care_team IN EXCLUSIVE MODE")
        position = await api.join_care_team(client_id, Role.NURSE, NEW)
        reading = asyncio.create_task(api.ok(query, {"at": position}, role=Role.NURSE, user=NEW))
        await asyncio.sleep(0.5)  # the other share has passed the assignment
        held.rollback()
        return await reading


async def test_my_alerts_waits_for_the_care_team_kept_by_another_projector(
    shared: tuple[Api, str],
) -> None:
    api, url = shared
    clinic = await Clinic.enroll(api, "Sam P.")
    await clinic.nurse(SCORE, instrument="PHQ9", answers=PHQ9_ITEM_9)

    found = await joined_and_read(api, url, clinic.client_id, MY_ALERTS)

    assert found["myAlerts"]["alerts"] == [{"clientId": clinic.client_id, "ruleId": "phq9-item9"}]


async def test_the_lot_ledger_waits_for_the_care_team_kept_by_another_projector(
    shared: tuple[Api, str],
) -> None:
    api, url = shared
    clinic = await Clinic.enroll(api, "Ada P.")
    today = datetime.now(UTC).date()
    order = await clinic.doctor(PRESCRIBE, **ORDER, start=str(today))
    await clinic.dose(order["id"], today, "60")

    found = await joined_and_read(api, url, clinic.client_id, LEDGER)

    clients = {e["clientId"] for lot in found["inventoryLedger"]["lots"] for e in lot["entries"]}
    assert clients == {clinic.client_id}
