"""``audit projections`` on a database holding an event store and no read models (the store
written by a tool, or the projector never run) says that the read models are missing, and
changes nothing: it said there was no event store either."""

from __future__ import annotations

from pathlib import Path

import psycopg
from audit_cli import audit
from conftest import fresh_database, isolated_settings

from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.runtime.bootstrap import Servers


def test_a_store_without_read_models_is_named_so(
    servers: Servers, data_dir: Path, tmp_path: Path
) -> None:
    with fresh_database(servers.database_url) as url:
        EventStore(env=store_env(isolated_settings(data_dir, database_url=url))).close()
        done = audit(url, tmp_path, "projections")
        with psycopg.connect(url) as conn:
            made = conn.execute("SELECT to_regclass('projection_generations')").fetchone()

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        "carecoord audit projections: no read models beside its event store in this database"
    ), done.stderr
    assert made == (None,)
