"""/health without a token says its status and codes alone: it answered anyone reaching the
port with every follower's position and lag, the loops and their errors, and each pool's use.
A signed-in reader's token, or ``CARECOORD_OPS_TOKEN`` (a scraper's), reads it in full."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import isolated_settings, serving_api, started

from carecoord.events import Role
from carecoord.services.runtime.bootstrap import Servers
from support import Api

OPS_TOKEN = "ops-token-for-the-scraper-0123456789abcdef"
ENROLL = "mutation($i: EnrollClientInput!) { enrollClient(input: $i) { id position } }"


@pytest.fixture
async def ops_api(servers: Servers, data_dir: Path) -> AsyncIterator[Api]:
    settings = isolated_settings(data_dir, ops_token=OPS_TOKEN)
    async with started(settings, servers) as platform, serving_api(platform) as api:
        yield api


async def test_without_a_token_health_says_status_and_codes_alone(ops_api: Api) -> None:
    done = await ops_api.ok(
        ENROLL, {"i": {"displayName": "O. Utsider", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    assert await ops_api.platform.progress.reach("timeline", done["enrollClient"]["position"], 30)

    anyone = await ops_api.http.get("/health")
    assert (anyone.status_code, anyone.json()) == (200, {"status": "ok", "codes": []})

    for bearer in (OPS_TOKEN, ops_api.token(Role.NURSE)):
        full = await ops_api.http.get("/health", headers={"Authorization": f"Bearer {bearer}"})
        assert full.status_code == 200
        assert full.json()["status"] == "ok"
        assert {"followers", "loops", "pools", "storePosition"} <= set(full.json())

    async with ops_api.platform.pool.connection() as conn:
        await conn.execute(
            "UPDATE follower_positions SET position = position + 1000000 WHERE name = 'timeline'"
        )
    anyone = await ops_api.http.get("/health")
    assert (anyone.status_code, anyone.json()) == (
        200,
        {"status": "degraded", "codes": ["POSITION_PAST_HEAD"]},
    )


async def test_a_token_that_is_neither_is_refused(ops_api: Api) -> None:
    for header in (f"Bearer {OPS_TOKEN}x", "Bearer not-a-token", "Basic b3BzOm9wcw=="):
        refused = await ops_api.http.get("/health", headers={"Authorization": header})
        assert refused.status_code == 401, header
        body = refused.json()
        assert body["code"] == "UNAUTHENTICATED"
        assert OPS_TOKEN not in refused.text
        assert "followers" not in body
