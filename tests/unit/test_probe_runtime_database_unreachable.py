"""DATABASE_URL naming a server that is not there: the command stops with one line that
names the variable to mend (it said only "cannot reach the database", on two lines), and
never the URL's password."""

from __future__ import annotations

import os
from pathlib import Path

from cli_run import run_cli, said

from carecoord.services.runtime.embedded import free_port


def test_an_unreachable_database_is_named_by_its_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_")}
    env.update(
        DATABASE_URL=f"postgresql://carer:s3cret-pw@127.0.0.1:{free_port()}/care",
        NATS_URL=f"nats://127.0.0.1:{free_port()}",
        CARECOORD_DATA_DIR=str(tmp_path / "data"),
        CARECOORD_JWT_SECRET="database-unreachable-test-secret-0123",
    )
    done = run_cli(tmp_path, env, "rebuild", "timeline")

    assert done.returncode == 1
    told = said(done)
    assert len(told) == 1, told
    assert told[0].startswith("carecoord rebuild: cannot reach the database at DATABASE_URL")
    assert "s3cret-pw" not in done.stderr
