"""/health, /metrics and platformStatus name a disclosure forwarder by a digest of its name:
they named it ``disclose-<organization>``, and told anyone reaching the API's port, and every
signed-in user, which outside organizations the program discloses to (42 CFR Part 2)."""

from __future__ import annotations

import hashlib

from carecoord.events import Role
from carecoord.services.kernel.platform_ids import forwarder, shown_follower
from support import Api

ORG = "clinic-north-secret"
STATUS = "{ platformStatus { followers { name position } } }"


async def test_a_forwarders_name_is_shown_as_a_digest(api: Api) -> None:
    name = forwarder(ORG)
    async with api.platform.pool.connection() as conn:
        await conn.execute(
            "INSERT INTO follower_positions (name, position) VALUES (%s, 0)"
            " ON CONFLICT (name) DO NOTHING",
            (name,),
        )
    shown = "disclose-sha256:" + hashlib.sha256(name.encode()).hexdigest()[:12]
    assert shown_follower(name) == shown
    assert shown_follower("timeline") == "timeline"

    health = (await api.health()).text
    metrics = (await api.http.get("/metrics")).text
    status = await api.ok(STATUS, {}, role=Role.NURSE)

    for seen in (health, metrics, str(status)):
        assert ORG not in seen
        assert shown in seen
