"""The embedded nats-server's port is picked free but not held until the server binds it: a
port another process took meanwhile made `up` (or any command starting its own servers) fail
with 'nats-server exited at start'. Another port is tried instead."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from carecoord.services.runtime import embedded


@pytest.fixture
def taken() -> Iterator[int]:
    """A loopback port some other process listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def test_a_port_taken_before_the_server_listens_is_given_up_for_another(
    tmp_path: Path, taken: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = iter([taken, embedded.free_port()])
    monkeypatch.setattr(embedded, "free_port", lambda: next(ports))

    server = embedded.start_nats(tmp_path)
    try:
        assert server.url != f"nats://127.0.0.1:{taken}"
        assert embedded.server_name(int(server.url.rsplit(":", 1)[1])) is not None
    finally:
        server.stop()


def test_every_port_taken_says_so(
    tmp_path: Path, taken: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "free_port", lambda: taken)

    with pytest.raises(embedded.EmbeddedServerFailed, match="free ports taken"):
        embedded.start_nats(tmp_path)
