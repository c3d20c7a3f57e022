"""``carecoord audit ...`` run as an auditor runs it, against a test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def audit(
    url: str, cwd: Path, *arguments: str, umask: int = -1
) -> subprocess.CompletedProcess[str]:
    """``carecoord audit <arguments>`` with ``DATABASE_URL`` set to ``url``, in ``cwd``
    (``umask``: the caller's unless set)."""
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", "audit", *arguments],
        env={**os.environ, "DATABASE_URL": url},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        umask=umask,
    )


def export(url: str, cwd: Path, *extra: str, umask: int = -1) -> subprocess.CompletedProcess[str]:
    """``carecoord audit export <extra>``."""
    return audit(url, cwd, "export", *extra, umask=umask)
