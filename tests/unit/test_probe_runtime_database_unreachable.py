"""DATABASE_URL naming a server that is not there: the command stops with one line that
names the variable to mend (it said only "cannot reach the database", on two lines), and
never the URL's password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from carecoord.services.runtime.embedded import free_port


def test_an_unreachable_database_is_named_by_its_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_")}
    env.update(
        DATABASE_URL=f"postgresql://carer:s3cret-pw@127.0.0.1:{free_port()}/care",
        NATS_URL=f"nats://127.0.0.1:{free_port()}",
        CARECOORD_DATA_DIR=str(tmp_path / "data"),
        CARECOORD_JWT_SECRET="database-unreachable-test-secret-0123",
    )
    done = subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "rebuild", "timeline"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    said = [line for line in done.stderr.splitlines() if '"level": "info"' not in line]
    assert len(said) == 1, said
    assert said[0].startswith("carecoord rebuild: cannot reach the database at DATABASE_URL")
    assert "s3cret-pw" not in done.stderr
