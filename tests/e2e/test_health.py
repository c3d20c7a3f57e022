"""/health: positions, lag, set-aside events and each loop's state, for a supervisor."""

from __future__ import annotations

import asyncio

from carecoord.events import Role
from support import Api

ENROLL = "mutation($i: EnrollClientInput!) { enrollClient(input: $i) { id position } }"


async def test_health_reports_followers_and_loops(api: Api) -> None:
    done = await api.ok(
        ENROLL, {"i": {"displayName": "H. Ealth", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    position = done["enrollClient"]["position"]
    for _ in range(200):
        response = await api.health()
        body = response.json()
        if body["followers"].get("timeline", {}).get("position", 0) >= position:
            break
        await asyncio.sleep(0.02)

    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["stuckLoops"] == []
    assert body["storePosition"] >= position
    assert body["followers"]["timeline"]["parked"] == 0
    for loop in ("relay", "projections", "store-listener", "progress-listener"):
        assert body["loops"][loop]["status"] == "ok", body["loops"]
