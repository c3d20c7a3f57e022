"""A data directory carecoord cannot use (CARECOORD_DATA_DIR naming a file, a path under a
file, a place no one may write, a read-only disk): the command stops at once with one line
naming the variable and what to do, exit 2. Each was a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(sys.platform != "linux", reason="/sys refuses a new directory"),
]


def _carecoord(home: Path, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "NATS_URL") and not k.startswith("CARECOORD_")
    }
    env["CARECOORD_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", *args],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("where", ["a file", "under a file", "not writable"])
@pytest.mark.parametrize(
    "command", [("up", "--port", "1"), ("token", "--user", "u-1", "--role", "nurse"), ("tail",)]
)
def test_an_unusable_data_directory_is_named_in_one_line(
    tmp_path: Path, where: str, command: tuple[str, ...]
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a directory\n")
    data_dir = {
        "a file": a_file,
        "under a file": a_file / ".carecoord",
        "not writable": Path("/sys/carecoord-data"),  # even root may not make one there
    }[where]

    done = _carecoord(tmp_path, data_dir, *command)

    assert done.returncode == 2, done.stderr[-2000:]
    [line] = done.stderr.splitlines()
    assert line.startswith("carecoord: CARECOORD_DATA_DIR: "), line
    assert str(data_dir) in line
    assert done.stdout == ""
    assert a_file.read_text() == "not a directory\n"
