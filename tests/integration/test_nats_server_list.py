"""A NATS_URL listing several servers (a cluster's seeds) connects to one that answers: the
whole list was read as one URL, and the platform never connected ("invalid connect url
option", tried again for 30 s)."""

from __future__ import annotations

from pathlib import Path

from conftest import isolated_settings

from carecoord.services.runtime import bootstrap
from carecoord.services.runtime.bootstrap import Servers
from carecoord.services.runtime.embedded import free_port


async def test_a_list_with_a_server_down_connects_to_the_one_that_answers(
    servers: Servers, data_dir: Path
) -> None:
    settings = isolated_settings(data_dir)
    down = f"nats://127.0.0.1:{free_port()}"
    broker = await bootstrap.connect_broker(settings, f"{down}, {servers.nats_url}", lambda: None)
    try:
        info = await broker.connection.jetstream().stream_info(settings.stream_name)
        assert info.config.name == settings.stream_name
    finally:
        await broker.connection.jetstream().delete_stream(settings.stream_name)
        await broker.stop()
