"""A client's open timeline subscription and a blind taper's last day: what the feed hands
over is decided when it arrives, on the grant of the program's day then, so an entry of a
hidden kind recorded after the blind lifted reaches the client with no access change
between (the kept grant is decided again when the day moves on), and one recorded while
blind stays withheld: the feed hands over new entries once, in order, and the lift is no
new entry (the client reads the taper's entries with ``clientTimeline`` once it is over)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import isolated_settings
from medication_steps import STATEMENT, TIMELINE, Clinic, mutation
from test_probe_audit_blind_taper_day import blind_taper_ending

from carecoord.events import Role
from carecoord.services.infrastructure.settings import Settings
from support import Api

BEHIND, AHEAD = ZoneInfo("Etc/GMT+12"), ZoneInfo("Etc/GMT-14")  # 26 hours apart: other days
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
SUBSCRIBE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position type kind } }"""


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, program_time_zone=str(BEHIND))


async def reported(clinic: Clinic, medication: str) -> int:
    """A medication the client takes from elsewhere (a ``medication`` entry); its position."""
    since = (datetime.now(UTC) - timedelta(days=30)).date()
    found = await clinic.nurse(
        STATEMENT, medication=medication, source="OTHER_PRESCRIBER", dose="20", unit="mg",
        sourceDetail="community psychiatrist", since=str(since),
    )  # fmt: skip
    return int(found["position"])


async def next_entry(ws: Any) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    entry: dict[str, Any] = message["payload"]["data"]["timeline"]
    return entry


async def test_the_feed_shows_what_arrives_after_the_last_day_without_an_access_change(
    api: Api,
) -> None:
    now = datetime.now(UTC)
    last_day = now.astimezone(BEHIND).date()
    assert now.astimezone(AHEAD).date() > last_day
    clinic = await Clinic.enroll(api, "Blind S.")
    position = await blind_taper_ending(clinic, last_day)
    token = api.token(Role.CLIENT, clinic.client_id)
    watched = {"id": clinic.client_id, "after": position}

    async with api.subscription(token, SUBSCRIBE, watched) as ws:
        blind = await reported(clinic, "fluoxetine")
        # A check-in the client sees, after it: once it is pushed, the feed has decided on the
        # blind entry (in order), before the day moves on.
        seen = await clinic.nurse(CHECK_IN, craving=20)
        assert (await next_entry(ws))["position"] == seen["position"]
        # The program's day moves past the taper's last day; no access view changes with it.
        api.platform.medication = dataclasses.replace(api.platform.medication, zone=AHEAD)
        lifted = await reported(clinic, "bupropion")
        first = await next_entry(ws)

    assert (first["position"], first["kind"]) == (lifted, "medication")
    assert blind < lifted
    read = await api.ok(
        TIMELINE, {"id": clinic.client_id, "atLeast": lifted}, role=Role.CLIENT,
        user=clinic.client_id,
    )  # fmt: skip
    shown = [n["type"] for n in read["clientTimeline"]["nodes"]]
    assert shown.count("medication.MedicationStatementRecorded") == 2
