"""A process that never connects to the broker (the API, the projector, a rebuild) with
DATABASE_URL set and no NATS_URL, as a deployment runs them, starts nothing embedded: it
started a nats-server of its own under the data directory and recorded it as the runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.bootstrap import resolve_servers

DATABASE = "postgresql://carecoord@db.example.org:5432/carecoord"


@pytest.mark.parametrize("command", ["api", "project", "rebuild"])
def test_a_process_that_never_publishes_needs_no_broker(tmp_path: Path, command: str) -> None:
    settings = Settings(database_url=DATABASE, nats_url=None, data_dir=tmp_path / "data")

    servers = resolve_servers(settings, command)

    assert (servers.database_url, servers.nats_url, servers.runtime) == (DATABASE, "", None)
    assert not (tmp_path / "data").exists()
