"""``carecoord audit projections``: every read model derived afresh from the store and
compared with the live one. A row edited by hand is named by model and client, with row
counts and digests, never its content; a database without a store cannot be checked; and
(``-m slow``) a store of 100,000 events, with the rate printed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from uuid import UUID

import psycopg
import pytest
from conftest import fresh_database
from psycopg_pool import AsyncConnectionPool

from carecoord.bench.seed import seed, store_env_for
from carecoord.events import Actor, Role
from carecoord.projections import careteam, timeline
from carecoord.projections.generations import SCRATCH
from carecoord.projections.models import READ_MODELS
from carecoord.projections.projector import Projector
from carecoord.projections.rebuild import Target, create_generations, rebuild_all
from carecoord.projections.verify import VerificationRunning, verify_all
from carecoord.services.care.commands import enroll_client
from carecoord.services.careteam.commands import assign_member
from carecoord.services.infrastructure.store import EventStore
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def audit(database_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", "projections", *extra],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


async def on_the_team(platform: Platform, count: int) -> list[UUID]:
    """``count`` clients enrolled, each with a nurse on the team, projected."""
    clients = []
    for i in range(count):
        enrolled = await platform.bus.execute(
            enroll_client(ADMIN, display_name=f"Audit Person {i}", program="OTP")
        )
        joined = await platform.bus.execute(
            assign_member(ADMIN, client_id=enrolled.result, member_id="nurse-1", role=Role.NURSE)
        )
        clients.append(enrolled.result)
    assert await platform.progress.reach(careteam.NAME, joined.position, 10)
    return clients


async def test_a_live_row_edited_by_hand_is_named_by_model_and_client(
    platform: Platform,
) -> None:
    clients = await on_the_team(platform, 3)
    victim = clients[1]
    intact = await asyncio.to_thread(audit, platform.database_url, "--json")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert json.loads(intact.stdout)["intact"]
    assert "deriving the read models" in intact.stderr
    async with platform.pool.connection() as conn:
        await conn.execute(
            "UPDATE care_team SET member_id = 'someone-else' WHERE client_id = %s", (victim,)
        )

    as_json = await asyncio.to_thread(audit, platform.database_url, "--json")
    as_text = await asyncio.to_thread(audit, platform.database_url)

    assert as_json.returncode == as_text.returncode == 1, as_json.stderr
    report = json.loads(as_json.stdout)
    assert not report["intact"]
    differing = {m["name"]: m["differences"] for m in report["models"] if not m["intact"]}
    assert list(differing) == [careteam.NAME]
    (difference,) = differing[careteam.NAME]
    assert difference["clientId"] == str(victim)
    assert difference["liveRows"] == difference["derivedRows"] == 1
    assert difference["liveDigest"] != difference["derivedDigest"]
    assert f"client {victim}" in as_text.stdout
    assert "care_team            DIFFERS" in as_text.stdout
    for content in ("someone-else", "nurse-1", "Audit Person"):  # never the rows themselves
        assert content not in as_json.stdout + as_text.stdout + as_text.stderr


async def test_a_second_verification_at_once_is_refused_and_the_first_finds_every_model_same(
    platform: Platform,
) -> None:
    """Two verifications at once derived into the same scratch tables: one reported every
    client's timeline as differing (0 rows derived), the other that a table went."""
    await on_the_team(platform, 30)

    first, second = await asyncio.gather(
        verify_all(platform.store, platform.pool, READ_MODELS),
        verify_all(platform.store, platform.pool, READ_MODELS),
        return_exceptions=True,
    )

    refused = [r for r in (first, second) if isinstance(r, VerificationRunning)]
    done = [r for r in (first, second) if isinstance(r, list)]
    assert len(refused) == len(done) == 1, (first, second)
    assert [v.name for v in done[0] if not v.intact] == []
    again = await verify_all(platform.store, platform.pool, READ_MODELS)  # the locks went
    assert all(v.intact for v in again)


async def test_a_verification_drops_the_scratch_tables_one_killed_before_left(
    platform: Platform,
) -> None:
    """A verification killed before its end left its scratch tables, a copy of every
    model's rows; the next one dropped only those of today's generation, so the copy of an
    earlier one stayed for good."""
    await on_the_team(platform, 2)
    left = Target(timeline, SCRATCH + 7)  # a verification killed before a rebuild or two
    await create_generations(platform.pool, [left])

    await verify_all(platform.store, platform.pool, READ_MODELS)

    async with platform.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM pg_tables WHERE tablename ~ '_g[0-9]{7,}$'")
        assert await cur.fetchone() == (0,)


def test_a_database_without_a_store_cannot_be_checked(servers: Servers) -> None:
    with fresh_database(servers.database_url) as url:
        done = audit(url)
        with psycopg.connect(url) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()

    assert done.returncode == 2
    assert "no event store" in done.stderr
    assert tables == (0,)  # the check made nothing


@pytest.mark.slow
async def test_a_store_of_100000_events_verifies_and_names_an_edited_row(
    servers: Servers,
) -> None:
    """The audit at scale: 100,000 events over 1,000 clients, seeded as the bench seeds
    them, their read models built by a rebuild; then one dose row edited by hand."""
    with fresh_database(servers.database_url) as url:
        seeded = await asyncio.to_thread(seed, url, clients=1000, events_per_client=100)
        store = EventStore(env=store_env_for(url))
        try:
            async with AsyncConnectionPool(url, open=False) as pool:
                await Projector(pool, READ_MODELS).setup()
                await rebuild_all(store, pool, READ_MODELS)
        finally:
            store.close()
        intact = await asyncio.to_thread(audit, url, "--json")
        victim = seeded[500].client_id
        with psycopg.connect(url) as conn:
            conn.execute(
                "UPDATE dosing SET amount = amount + 1 WHERE position ="
                " (SELECT min(position) FROM dosing WHERE client_id = %s)",
                (victim,),
            )
        edited = await asyncio.to_thread(audit, url, "--json")

    assert intact.returncode == 0, intact.stdout + intact.stderr
    report = json.loads(intact.stdout)
    assert report["events"] == 100_000
    print(f"\naudit projections: 100,000 events in {report['seconds']:.1f} s"
          f" ({100_000 / report['seconds']:,.0f} events/s)")  # fmt: skip
    assert edited.returncode == 1
    differing = {
        m["name"]: [d["clientId"] for d in m["differences"]]
        for m in json.loads(edited.stdout)["models"]
        if not m["intact"]
    }
    assert differing == {"dosing": [str(victim)]}
