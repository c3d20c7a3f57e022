"""/health without a token says its status and codes alone: it answered anyone reaching the
port with every follower's position and lag, the loops and their errors, and each pool's use.
A signed-in reader's token, or ``CARECOORD_OPS_TOKEN`` (a scraper's), reads it in full.
/metrics, open to anyone reaching a port, is the token's holder's alone once one is set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from conftest import isolated_settings, serving_api, started

from carecoord.events import Role
from carecoord.graphql.app import create_monitoring_app
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


async def test_with_an_ops_token_set_metrics_is_its_holders_alone(ops_api: Api) -> None:
    """The API's port and the relay's and projector's listener (``create_monitoring_app``)
    alike: a scrape without the token, or with another, is refused and told nothing."""
    listener = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_monitoring_app(ops_api.platform)),
        base_url="http://listener",
    )
    async with listener:
        for http in (ops_api.http, listener):
            for headers in (
                {},
                {"Authorization": f"Bearer {OPS_TOKEN}x"},
                {"Authorization": f"Bearer {ops_api.token(Role.NURSE)}"},
            ):
                refused = await http.get("/metrics", headers=headers)
                assert refused.status_code == 401, headers
                assert refused.headers["www-authenticate"] == "Bearer"
                assert refused.json()["code"] == "UNAUTHENTICATED"
                assert refused.json()["rule"] == "ops-token-required"
                assert "carecoord_" not in refused.text
            scraped = await http.get("/metrics", headers={"Authorization": f"Bearer {OPS_TOKEN}"})
            assert scraped.status_code == 200
            assert "carecoord_follower_lag" in scraped.text
