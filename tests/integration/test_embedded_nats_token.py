"""The embedded nats-server admits only clients giving its token, kept in the data directory
(0600) and carried by the URL that ``runtime.json`` (0600) gives the commands attaching: it
admitted anyone reaching its loopback port, so any user of the machine could read every
client's events off the stream and publish on the care subjects."""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import urlsplit

import nats
import pytest
from nats.errors import Error as NatsError

from carecoord.services.runtime import embedded, session
from carecoord.services.runtime.processes import Proc


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_client_without_the_token_is_refused_and_one_with_it_reads(
    tmp_path: Path,
) -> None:
    server = embedded.start_nats(tmp_path)
    try:
        url = urlsplit(server.url)
        assert url.username == (tmp_path / embedded.NATS_TOKEN_FILE).read_text()
        with pytest.raises(NatsError):
            await nats.connect(
                f"nats://127.0.0.1:{url.port}", allow_reconnect=False, connect_timeout=2
            )
        client = await nats.connect(server.url, allow_reconnect=False)
        await client.jetstream().account_info()
        await client.close()
    finally:
        server.stop()
    assert mode(tmp_path / embedded.NATS_TOKEN_FILE) == 0o600


def test_the_runtime_file_naming_the_token_is_its_owners_alone(tmp_path: Path) -> None:
    owner = Proc.of(1) or Proc(1, -1)
    runtime = session.Runtime("up", owner, "postgresql://x", "nats://secret@127.0.0.1:1")
    session.write(tmp_path, runtime)
    assert mode(session.runtime_file(tmp_path)) == 0o600
