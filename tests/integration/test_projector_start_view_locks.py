"""A process starting leaves the read models' views alone when they already read their live
tables: it replaced each in turn, an exclusive lock on every view, so an API's access check
reading two views (holding the care team's, waiting on the timeline's) deadlocked with a
projector restarted beside it and was answered an internal error."""

from __future__ import annotations

from pathlib import Path

import psycopg
from conftest import isolated_settings, started
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from carecoord.projections.models import READ_MODELS, names
from carecoord.projections.projector import Projector
from carecoord.services.runtime.bootstrap import Servers

NO_WAIT = {"options": "-c lock_timeout=1"}
"""A lock the start would wait for fails it at once, rather than after the reader."""


async def test_a_projector_starts_while_every_view_is_being_read(
    servers: Servers, data_dir: Path
) -> None:
    async with (
        started(isolated_settings(data_dir), servers, relay=False, project=False) as platform,
        await psycopg.AsyncConnection.connect(platform.database_url) as reader,
        reader.transaction(),
    ):
        for name in names():
            await reader.execute(sql.SQL("SELECT FROM {} LIMIT 0").format(sql.Identifier(name)))
        async with AsyncConnectionPool(
            platform.database_url, kwargs=NO_WAIT, min_size=1, open=False
        ) as pool:
            await Projector(pool, READ_MODELS).setup()
