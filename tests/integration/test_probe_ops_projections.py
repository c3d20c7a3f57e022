"""``audit projections`` when a read model's table is not where the generations table says
(a rebuild switched meanwhile, or a superuser moved it): one line naming the table, exit 2.
It printed the driver's message whole, the query it quoted and a caret under it included."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
from audit_cli import audit
from cli_run import said

from carecoord.services.platform import Platform


async def test_a_read_model_table_gone_is_one_line_and_exit_two(
    platform: Platform, tmp_path: Path
) -> None:
    with psycopg.connect(platform.database_url, autocommit=True) as conn:
        conn.execute("UPDATE projection_generations SET generation = 99 WHERE name = 'timeline'")

    done = await asyncio.to_thread(audit, platform.database_url, tmp_path, "projections")

    assert done.returncode == 2, done.stderr
    assert said(done)[-1] == (
        "carecoord audit projections: a read model's table went:"
        ' relation "timeline_g99" does not exist; check again'
    )
    assert "LINE 1" not in done.stderr
