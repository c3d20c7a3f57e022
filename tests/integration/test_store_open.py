"""Opening the event store: processes that start together, and a rebuild on a database no
projector has set up."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import fresh_database, isolated_settings
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Role
from carecoord.projections import timeline
from carecoord.projections.rebuild import rebuild
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def test_stores_opened_together_on_a_new_database_all_open(
    servers: Servers, data_dir: Path
) -> None:
    """Four processes' worth of stores at once: the library's CREATE statements and the
    event chain's raced ("tuple concurrently updated") before opening took a lock."""
    settings = isolated_settings(data_dir)
    with fresh_database(servers.database_url) as url:
        env = store_env(settings.model_copy(update={"database_url": url}))

        def open_store(_: int) -> int:
            store = EventStore(env=env)
            try:
                return store.last_position()
            finally:
                store.close()

        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(open_store, range(4))) == [0, 0, 0, 0]


async def test_a_rebuild_before_any_projector_leaves_a_full_view(
    servers: Servers, data_dir: Path
) -> None:
    settings = isolated_settings(data_dir)
    with fresh_database(servers.database_url) as url:
        store = EventStore(env=store_env(settings.model_copy(update={"database_url": url})))
        bus = CommandBus(store)
        try:
            for i in range(5):
                await bus.execute(enroll_client(ADMIN, display_name=f"r{i}", program="OTP"))
            async with AsyncConnectionPool(url, open=False) as pool:
                done = await rebuild(store, pool, timeline)
                async with pool.connection() as conn:
                    cur = await conn.execute("SELECT count(*) FROM timeline")
                    assert await cur.fetchone() == (5,)
                    cur = await conn.execute(
                        "SELECT generation FROM projection_generations WHERE name = 'timeline'"
                    )
                    assert await cur.fetchone() == (done.generation,)
        finally:
            bus.close()
            store.close()
