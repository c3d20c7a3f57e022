"""The audit commands when the database cannot be reached: "cannot check" (2), said in a
line an operator can act on, never the exit status that means the chain is broken (1)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def unreachable_url() -> str:
    """A PostgreSQL URL on a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://carecoord@127.0.0.1:{port}/carecoord"


def audit(cwd: Path, *check: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", *check],
        env={**os.environ, "DATABASE_URL": unreachable_url()},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_verify_without_a_database_cannot_check_rather_than_cry_broken(tmp_path: Path) -> None:
    done = audit(tmp_path, "verify")

    assert done.returncode == 2, done.stderr
    assert "carecoord audit verify: cannot reach the database" in done.stderr
    assert "Traceback" not in done.stderr
