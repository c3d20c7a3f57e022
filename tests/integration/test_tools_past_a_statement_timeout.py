"""A ``statement_timeout`` set on the database (a DBA's bound for the applications' reads)
does not stop the tools partway: a rebuild and the audit of the read models run their
statements to the end, as pg_dump does. ``carecoord rebuild`` failed on such a database,
saying it could not reach it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from cli_run import run_cli
from platform_env import platform_env

from carecoord.events import Actor, Role
from carecoord.services.care.commands import enroll_client
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


@contextmanager
def statements_bound_on(url: str) -> Iterator[None]:
    """The test's database bounds every new session's statements to a millisecond."""
    with psycopg.connect(url, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(f"ALTER DATABASE \"{name}\" SET statement_timeout = '1ms'")
    try:
        yield
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" RESET statement_timeout')


async def test_a_rebuild_and_an_audit_run_to_their_end_past_the_databases_bound(
    platform: Platform, servers: Servers, tmp_path: Path
) -> None:
    for name in ("Sam K.", "Jo P."):
        await platform.bus.execute(enroll_client(ADMIN, display_name=name, program="OTP"))
    env = platform_env(platform, servers, tmp_path)
    env.pop("PGOPTIONS", None)

    with statements_bound_on(platform.database_url):
        with psycopg.connect(platform.database_url) as bound:  # the bound holds here
            assert bound.execute("SHOW statement_timeout").fetchone() == ("1ms",)
        rebuilt = await asyncio.to_thread(run_cli, tmp_path, env, "rebuild", "timeline")
        audited = await asyncio.to_thread(run_cli, tmp_path, env, "audit", "projections")

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "timeline: generation" in rebuilt.stdout
    assert audited.returncode == 0, audited.stderr


async def test_a_bound_the_operator_gives_the_command_is_kept_and_named_when_it_stops_it(
    platform: Platform, servers: Servers, tmp_path: Path
) -> None:
    """One in ``PGOPTIONS`` is the operator's own, for this command: kept, and a statement
    it cancels is told as cancelled, to run again, not as a database out of reach."""
    await platform.bus.execute(enroll_client(ADMIN, display_name="Sam K.", program="OTP"))
    env = platform_env(platform, servers, tmp_path) | {"PGOPTIONS": "-c statement_timeout=1"}

    rebuilt = await asyncio.to_thread(run_cli, tmp_path, env, "rebuild", "timeline")

    assert rebuilt.returncode != 0
    assert "a statement was cancelled in the database at DATABASE_URL" in rebuilt.stderr
    assert "cannot reach" not in rebuilt.stderr
