"""``carecoord audit export`` run as an auditor runs it, against a test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def export(url: str, cwd: Path, *extra: str, umask: int = -1) -> subprocess.CompletedProcess[str]:
    """The export with ``extra`` arguments, in ``cwd`` (``umask``: the caller's unless set)."""
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", "export", *extra],
        env={**os.environ, "DATABASE_URL": url},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        umask=umask,
    )
