"""/health while the database is down answers 503 with a body a supervisor can read, naming
what is down and never how to reach it: it answered a bare 500 from an uncaught error."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import delete_stream, isolated_settings, serving_api

from carecoord.graphql.status import DATABASE_ANSWER_SECONDS
from carecoord.services.runtime import embedded
from carecoord.services.runtime.bootstrap import Servers, running


async def test_health_says_the_database_is_unreachable(servers: Servers, tmp_path: Path) -> None:
    database = embedded.launch_postgres(tmp_path / "db")
    settings = isolated_settings(tmp_path)
    try:
        async with (
            running(settings, Servers(database.url, servers.nats_url)) as platform,
            serving_api(platform) as api,
        ):
            assert (await api.http.get("/health")).status_code == 200
            database.stop()
            started = time.monotonic()
            response = await api.health(timeout=30)
            took = time.monotonic() - started
            # Back before the platform stops, so it stops as it would on any day.
            database = embedded.launch_postgres(tmp_path / "db")
    finally:
        database.stop()
        await delete_stream(servers.nats_url, settings.stream_name)
        await delete_stream(servers.nats_url, f"{settings.stream_name}_ANCHORS")

    assert took < DATABASE_ANSWER_SECONDS + 1.0, took
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["unreachable"] == ["database"]
    assert str(tmp_path) not in response.text
    assert "loops" in body
    assert "busy" not in body
