"""Two projector processes sharing the read models: between them every model reaches the
store's head, each applied by its own share alone, and a reader sees every write."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import delete_stream, fresh_database, isolated_settings

from carecoord.events import Actor, Role
from carecoord.projections import dosing, timeline
from carecoord.projections.models import READ_MODELS, share
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure import positions
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers, running

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def applied_models(platform: Platform) -> set[str]:
    """The read models this process applied events to (its metrics say)."""
    found = platform.metrics.registry.collect()
    return {
        sample.labels["read_model"]
        for family in found
        if family.name == "carecoord_events_applied"
        for sample in family.samples
        if sample.name.endswith("_total") and sample.value > 0
    }


async def test_two_shares_bring_every_model_to_the_head(servers: Servers, data_dir: Path) -> None:
    settings = isolated_settings(data_dir)
    with fresh_database(servers.database_url) as url:
        on = Servers(url, servers.nats_url)
        first = settings.model_copy(update={"projector_share": "1/2"})
        second = settings.model_copy(update={"projector_share": "2/2"})
        try:
            async with (
                running(first, on, relay=True, project=True) as one,
                running(second, on, relay=False, project=True) as two,
            ):
                done = await asyncio.gather(
                    *(
                        one.bus.execute(enroll_client(ADMIN, display_name=f"c{i}", program="P"))
                        for i in range(30)
                    )
                )
                head = max(o.position for o in done)
                for platform in (one, two):  # each sees every model move, its own or not
                    for model in READ_MODELS:
                        assert await platform.progress.reach(model.NAME, head, 10), model.NAME
                # Counted just after the commit that moved the positions, which the progress
                # listener may hear first.
                for _ in range(100):
                    applied = [applied_models(p) for p in (one, two)]
                    if all(applied):
                        break
                    await asyncio.sleep(0.01)
                loops = [set(p.liveness.report()) for p in (one, two)]
                async with one.pool.connection() as conn:
                    at = await positions.read_many(conn, [m.NAME for m in READ_MODELS])
                    cur = await conn.execute("SELECT count(*) FROM timeline")
                    row = await cur.fetchone()
        finally:
            await delete_stream(servers.nats_url, settings.stream_name)
            await delete_stream(servers.nats_url, f"{settings.stream_name}_ANCHORS")

    assert all(at[m.NAME] >= head for m in READ_MODELS)
    assert applied == [{m.NAME for m in share(k)} for k in ("1/2", "2/2")]
    # each share's feed is told apart in its logs and /health, not both "projections"
    assert "projections 1/2" in loops[0]
    assert "projections 2/2" in loops[1]
    assert "projections" not in loops[0] | loops[1]
    assert row is not None
    assert row[0] == 30
    assert timeline in share("1/2")
    assert dosing in share("1/2")  # the missed-dose sweep runs once, there
    assert {m.NAME for m in share("1/2")}.isdisjoint(m.NAME for m in share("2/2"))
