"""/health names a follower whose position was set past the store's head: it reported lag 0
and ``ok``, yet the projector applies nothing up to that position (the events recorded
until the store reaches it are skipped) and the gate takes an access view there as holding
every change."""

from __future__ import annotations

from carecoord.events import Role
from support import Api

ENROLL = "mutation($i: EnrollClientInput!) { enrollClient(input: $i) { id position } }"


async def test_a_position_past_the_stores_head_is_degraded(api: Api) -> None:
    done = await api.ok(
        ENROLL, {"i": {"displayName": "P. Asthead", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    position = done["enrollClient"]["position"]
    assert await api.platform.progress.reach("timeline", position, 10)
    assert (await api.health()).json()["pastHead"] == {}
    async with api.platform.pool.connection() as conn:
        await conn.execute(
            "UPDATE follower_positions SET position = position + 1000000 WHERE name = 'timeline'"
        )

    response = await api.health()
    body = response.json()

    assert response.status_code == 200
    assert body["status"] == "degraded"
    head = body["storePosition"]
    timeline = body["followers"]["timeline"]
    assert timeline["position"] > head
    assert body["pastHead"] == {
        "timeline": {"code": "POSITION_PAST_HEAD", "position": timeline["position"],
                     "storePosition": head}
    }  # fmt: skip
