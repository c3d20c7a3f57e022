"""A ``statement_timeout`` set on the database (a DBA's bound for the applications' reads)
does not stop the tools partway: a rebuild and the audit of the read models run their
statements to the end, as pg_dump does. ``carecoord rebuild`` failed on such a database,
saying it could not reach it. Each test has a database of its own, bound as a DBA would
bind it (the suite's shared database is never bound)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from cli_run import run_cli
from enrolled_store import enrolled_store
from platform_env import platform_env

from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

BOUND_SETTING = (
    "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
    " WHERE d.datname = current_database() AND s.setrole = 0"
)


@contextmanager
def statements_bound_on(url: str) -> Iterator[None]:
    """The database ``url`` names bounds every new session's statements to a millisecond."""
    with psycopg.connect(url, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(f"ALTER DATABASE \"{name}\" SET statement_timeout = '1ms'")
        assert conn.execute(BOUND_SETTING).fetchone() == (["statement_timeout=1ms"],)
    try:
        yield
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" RESET statement_timeout')


@pytest.fixture
def own_database(platform: Platform, servers: Servers, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a command run against a fresh database of two enrolments (with the
    test platform's stream and servers), no ``PGOPTIONS`` of the suite's own."""
    with enrolled_store(servers, tmp_path, 2) as url:
        env = platform_env(platform, servers, tmp_path) | {"DATABASE_URL": url}
        env.pop("PGOPTIONS", None)
        yield env


async def test_a_rebuild_and_an_audit_run_to_their_end_past_the_databases_bound(
    own_database: dict[str, str], tmp_path: Path
) -> None:
    with statements_bound_on(own_database["DATABASE_URL"]):
        rebuilt = await asyncio.to_thread(run_cli, tmp_path, own_database, "rebuild", "timeline")
        audited = await asyncio.to_thread(run_cli, tmp_path, own_database, "audit", "projections")

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "timeline: generation" in rebuilt.stdout
    assert audited.returncode == 0, audited.stderr


async def test_a_bound_the_operator_gives_the_command_is_kept_and_named_when_it_stops_it(
    own_database: dict[str, str], tmp_path: Path
) -> None:
    """One in ``PGOPTIONS`` is the operator's own, for this command: kept, and a statement
    it cancels is told as cancelled, to run again, not as a database out of reach."""
    env = own_database | {"PGOPTIONS": "-c statement_timeout=1"}

    rebuilt = await asyncio.to_thread(run_cli, tmp_path, env, "rebuild", "timeline")

    assert rebuilt.returncode != 0
    assert "a statement was cancelled in the database at DATABASE_URL" in rebuilt.stderr
    assert "cannot reach" not in rebuilt.stderr
