"""The environment a ``carecoord`` command needs to act on a test's platform."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cli_run import run_cli

from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers


def platform_env(platform: Platform, servers: Servers, data_dir: Path) -> dict[str, str]:
    """The test's database, stream and servers: without NATS_URL a command starts a NATS of
    its own in ``data_dir``, and stopping it took the suite's embedded server down."""
    settings = platform.settings
    return {
        **os.environ,
        "DATABASE_URL": platform.database_url,
        "NATS_URL": servers.nats_url,
        "CARECOORD_SUBJECT_ROOT": settings.subject_root,
        "CARECOORD_STREAM_NAME": settings.stream_name,
        "CARECOORD_DATA_DIR": str(data_dir),
    }


def carecoord(
    platform: Platform, servers: Servers, cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """``carecoord *args`` run from ``cwd`` on the test's platform (two minutes at most: a
    rebuild or an audit on a busy machine)."""
    return run_cli(cwd, platform_env(platform, servers, cwd), *args, timeout=120)
