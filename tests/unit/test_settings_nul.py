"""A setting holding a NUL byte (a .env can; the environment cannot) is refused at start,
naming the variable in one line: in a path it ended every command in a traceback
("embedded null byte"), and libpq read a connection string only up to it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_run import run_cli


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CARECOORD_DATA_DIR", "data\0dir"),
        ("CARECOORD_PROGRAM_FILE", "program\0.toml"),
        ("DATABASE_URL", "postgresql://root@127.0.0.1/carecoord\0other"),
    ],
)
def test_a_nul_in_a_setting_is_named_in_a_line(tmp_path: Path, variable: str, value: str) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CARECOORD_") and k not in ("DATABASE_URL", "NATS_URL")
    }
    (tmp_path / ".env").write_text(f"{variable}={value}\n")
    done = run_cli(tmp_path, env, "token", "--user", "dr-lee", "--role", "prescriber")

    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"carecoord: {variable}: Value error, holds a NUL byte (\\0); remove it from .env\n"
    )
