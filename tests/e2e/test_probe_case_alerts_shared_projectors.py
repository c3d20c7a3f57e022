"""``myAlerts(atLeast)`` answers once the care-team view has that position too, not the
alerts view alone: with two projectors sharing the read models (``project --share 1/2`` and
``2/2``) the two views are kept by different processes. A nurse just added to a client's
team, asking for their alerts at the position of that assignment, was answered none while
the care-team view lagged, though the client had an open PHQ-9 item 9 alert."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
from conftest import delete_stream, fresh_database, isolated_settings, serving_api

from carecoord.events import Role
from carecoord.services.runtime.bootstrap import Servers, running
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
MY_ALERTS = """query($at: Int) { myAlerts(atLeast: $at) { clientId ruleId } }"""
NEW, COLLEAGUE = "nurse-new", "nurse-on-team"
PHQ9_ITEM_9 = [{"item": str(i), "value": 2 if i == 9 else 0} for i in range(1, 10)]


async def alerted_client(api: Api) -> str:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Sam P.", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id: str = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, COLLEAGUE)
    await api.ok(
        SCORE, {"input": {"clientId": client_id, "instrument": "PHQ9", "answers": PHQ9_ITEM_9}},
        role=Role.NURSE, user=COLLEAGUE,
    )  # fmt: skip
    return client_id


async def test_my_alerts_at_least_waits_for_the_care_team_kept_by_another_projector(
    servers: Servers, data_dir: Path
) -> None:
    settings = isolated_settings(data_dir)
    alerts_share = settings.model_copy(update={"projector_share": "1/2"})
    team_share = settings.model_copy(update={"projector_share": "2/2"})
    with fresh_database(servers.database_url) as url:
        on = Servers(url, servers.nats_url)
        try:
            async with (
                running(alerts_share, on) as platform,
                running(team_share, on, relay=False),
                serving_api(platform) as api,
            ):
                client_id = await alerted_client(api)
                with psycopg.connect(url) as held:
                    # The care-team share cannot write its view while this lock is held.
                    held.execute("LOCK TABLE care_team IN EXCLUSIVE MODE")
                    position = await api.join_care_team(client_id, Role.NURSE, NEW)
                    reading = asyncio.create_task(
                        api.ok(MY_ALERTS, {"at": position}, role=Role.NURSE, user=NEW)
                    )
                    await asyncio.sleep(0.5)  # the alerts share has passed the assignment
                    held.rollback()
                    found = await reading
        finally:
            await delete_stream(servers.nats_url, settings.stream_name)
            await delete_stream(servers.nats_url, f"{settings.stream_name}_ANCHORS")

    assert found["myAlerts"] == [{"clientId": client_id, "ruleId": "phq9-item9"}]
