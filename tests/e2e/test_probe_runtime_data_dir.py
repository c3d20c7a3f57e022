"""Data directories a user may well choose: a path with spaces or URL characters in it
("~/My Projects/carecoord", "R&D"). The embedded PostgreSQL's URL named its socket
directory unquoted, so libpq could not read it and every command ended on a traceback."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from carecoord.services.runtime import embedded

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(sys.platform != "linux", reason="parent-death signals, /proc"),
]


@pytest.fixture
def short_home() -> Iterator[Path]:
    """A directory with a short path, so the socket stays in the data directory (a test's
    tmp_path is long enough to move it elsewhere)."""
    with tempfile.TemporaryDirectory(prefix="cc-") as home:
        yield Path(home)


@pytest.mark.parametrize("name", ["My Projects", "R&D #2 100%"])
def test_the_embedded_postgres_starts_in_a_data_directory_with_url_characters(
    short_home: Path, name: str
) -> None:
    pgdata = short_home / name / ".carecoord" / "postgres"
    server = embedded.launch_postgres(pgdata.parent)
    try:
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (embedded.DATABASE,)
        assert psycopg.conninfo.conninfo_to_dict(server.url)["host"] == str(pgdata)
    finally:
        server.stop()


def test_an_initdb_cut_short_is_done_again_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command killed while initdb ran left a cluster that started without its postgres
    database: every command after it ended on a connection error, for good."""
    real_run = subprocess.run

    def cut_short(command: list[str], **kwargs: Any) -> Any:
        if Path(command[0]).name == "initdb":
            real_run(command, **kwargs)
            target = Path(command[command.index("-D") + 1])
            subprocess.run(  # as when the kill came before initdb's last step
                ["rm", "-rf", str(target / "base" / "5")], check=False
            )
            raise KeyboardInterrupt
        return real_run(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", cut_short)
    with pytest.raises(KeyboardInterrupt):
        embedded.launch_postgres(tmp_path / "data")
    monkeypatch.setattr(subprocess, "run", real_run)

    server = embedded.launch_postgres(tmp_path / "data")
    try:
        with psycopg.connect(server.admin_url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (embedded.DATABASE,)
    finally:
        server.stop()


def test_a_database_of_another_postgresql_version_is_named_as_why_it_cannot_start(
    tmp_path: Path,
) -> None:
    """A data directory kept from a carecoord that shipped another PostgreSQL said only
    'postgres exited at start; see its log'."""
    pgdata = tmp_path / "data" / "postgres"
    pgdata.mkdir(parents=True, mode=0o700)
    (pgdata / "PG_VERSION").write_text("14\n")
    (pgdata / "postgresql.conf").touch()

    with pytest.raises(embedded.EmbeddedServerFailed) as failed:
        embedded.launch_postgres(pgdata.parent)

    assert str(failed.value).startswith(
        "postgres exited at start (database files are incompatible with server (The data"
        " directory was initialized by PostgreSQL version 14,"
    )
