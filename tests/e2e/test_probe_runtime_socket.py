"""The embedded PostgreSQL trusts every local connection that reaches its socket, so nobody
but the user running carecoord may reach it, whatever the data directory's path.

A data directory whose path is too long for a Unix socket (about 107 bytes) had its socket
put in a shared directory under /tmp, world-writable and the socket 0777: any user of the
machine logged in as the database's superuser, with no password."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from cli_run import run_cli, said

from carecoord.services.runtime import embedded

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(sys.platform != "linux", reason="parent-death signals, /proc"),
]


def _socket_dir(server: embedded.Postgres) -> Path:
    return Path(str(psycopg.conninfo.conninfo_to_dict(server.url)["host"]))


def _others_can_reach(path: Path) -> list[str]:
    """Each directory on the way to the socket (and the socket) that another user can
    enter, or write to and so swap what is in it."""
    found = []
    for part in (path, *path.parents):
        mode = part.lstat().st_mode
        if part in (path.parent, path):
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                found.append(f"{part}: {stat.filemode(mode)}")
        elif mode & (stat.S_IWGRP | stat.S_IWOTH) and not mode & stat.S_ISVTX:
            found.append(f"{part}: {stat.filemode(mode)}")
    return found


@pytest.mark.parametrize("length", [20, 140])
def test_the_embedded_postgres_socket_is_reachable_by_its_user_alone(
    tmp_path: Path, length: int
) -> None:
    data_dir = tmp_path / ("d" * length)
    server = embedded.launch_postgres(data_dir)
    try:
        socket_path = _socket_dir(server) / ".s.PGSQL.5432"
        assert socket_path.is_socket()
        assert _others_can_reach(socket_path) == []
        with psycopg.connect(server.url) as conn:  # and this user still connects
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()


def test_a_socket_directory_someone_else_prepared_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory under /tmp that another user made first (or made open to all) could
    hand this user's clients a socket of theirs: it is refused, not used."""
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    prepared = tmp_path / f"carecoord-pg-{os.geteuid()}"
    prepared.mkdir(mode=0o777)
    prepared.chmod(0o777)

    with pytest.raises(embedded.EmbeddedServerFailed, match="carecoord-pg"):
        embedded.launch_postgres(tmp_path / ("d" * 140))


def test_the_command_line_says_in_one_line_why_the_embedded_database_cannot_start(
    tmp_path: Path,
) -> None:
    """An embedded server that cannot start (here: the refused socket directory above)
    stops the command with one line and exit 1, not a traceback."""
    prepared = tmp_path / f"carecoord-pg-{os.geteuid()}"
    prepared.mkdir(mode=0o777)
    prepared.chmod(0o777)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "NATS_URL") and not k.startswith("CARECOORD_")
    }
    env.update(TMPDIR=str(tmp_path), CARECOORD_DATA_DIR=str(tmp_path / ("d" * 140)))

    done = run_cli(tmp_path, env, "audit", "verify")

    assert done.returncode == 1
    told = said(done)
    assert len(told) == 1, told
    assert told[0].startswith(f"carecoord: {prepared} is not a private directory")
