"""The ``carecoord`` command line run as a user runs it: a process of its own, its answer."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_cli(
    cwd: Path, env: Mapping[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``carecoord *args`` in ``cwd`` with exactly ``env``, waited for (a minute by default)."""
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def said(done: subprocess.CompletedProcess[str]) -> list[str]:
    """What the command told its user on stderr: every line but the info logs."""
    return [line for line in done.stderr.splitlines() if '"level": "info"' not in line]
