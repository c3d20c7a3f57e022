"""The event store connects with the whole of DATABASE_URL, as the platform's other pools do,
and a parameter psycopg cannot read is refused as a wrong setting.

The library's PostgreSQL datastore connects with the host, port, database, user and
password alone: what else the URL said (``sslmode=require``, a root certificate, ``options``,
``application_name``) was dropped from the store's connections, which carry every event,
while the platform's own pools kept it. A URL requiring TLS of a server without it started
the store in clear text, and the platform's pools then waited 30 s to say only "pool
initialization incomplete"."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cli_run import run_cli, said
from conftest import fresh_database, isolated_settings
from psycopg.conninfo import make_conninfo

from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.runtime.bootstrap import Servers


def test_the_store_connections_carry_every_parameter_of_the_url(
    servers: Servers, data_dir: Path
) -> None:
    with fresh_database(servers.database_url) as url:
        named = make_conninfo(url, application_name="carecoord-store-probe")
        store = EventStore(env=store_env(isolated_settings(data_dir, database_url=named)))
        try:
            with store.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
                row = conn.execute("SHOW application_name").fetchone()
        finally:
            store.close()
    assert row is not None
    assert next(iter(row.values())) == "carecoord-store-probe"


@contextlib.contextmanager
def server_without_tls() -> Iterator[int]:
    """A port on loopback where a PostgreSQL server that offers no TLS answers: each request
    to encrypt (TLS, GSS) is told no, as such a server tells it, and a startup message sent
    in the clear is hung up on. The suite's own server may speak TLS, or be reached over a
    Unix socket, where libpq sets sslmode aside: this one is neither."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn:
                    while len(asked := conn.recv(8)) == 8 and asked[4:] in ENCRYPTION_REQUESTS:
                        conn.sendall(b"N")

    threading.Thread(target=answer, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


ENCRYPTION_REQUESTS = (struct.pack("!I", 80877103), struct.pack("!I", 80877104))
"""The codes of an SSLRequest and a GSSENCRequest (PostgreSQL's protocol)."""


def test_a_url_requiring_tls_of_a_server_without_it_opens_no_store(data_dir: Path) -> None:
    with server_without_tls() as port:
        required = f"postgresql://root@127.0.0.1:{port}/carecoord?sslmode=require"
        with pytest.raises(psycopg.OperationalError, match="SSL was required"):
            EventStore(env=store_env(isolated_settings(data_dir, database_url=required)))


def test_a_connect_timeout_psycopg_cannot_read_is_a_wrong_setting(tmp_path: Path) -> None:
    """psycopg reads it before libpq does: the first connection ended in a traceback."""
    url = "postgresql://root@127.0.0.1:5432/carecoord?connect_timeout=soon"
    done = run_cli(tmp_path, {**os.environ, "DATABASE_URL": url}, "rebuild", "timeline")

    assert done.returncode == 2, done.stderr
    assert said(done) == [
        "carecoord: DATABASE_URL: Value error, its connect_timeout is not a whole number of seconds"
    ]
