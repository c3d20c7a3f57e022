"""A program file the platform cannot use (missing, not TOML, a key no section has) stops
``relay``, ``project``, ``api`` and ``up`` with one line naming the setting, the file and the
key, exit 1 as for any setting no restart mends: it was a traceback with the reason last."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_run import run_cli, said

from carecoord.services.runtime.bootstrap import Servers

FILES = {  # the file's text (None: no file), and what the line says of it
    "missing.toml": (None, "No such file or directory"),
    "not-toml.toml": ("{", "Invalid statement"),
    "unknown-key.toml": ("[alerts]\nnosuch = 1\n", "[alerts.nosuch] Extra inputs"),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_program_file_that_cannot_be_used_is_one_line_and_exit_one(
    database: str, servers: Servers, tmp_path: Path, name: str
) -> None:
    text, reason = FILES[name]
    program = tmp_path / name
    if text is not None:
        program.write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "NATS_URL": servers.nats_url,
        "CARECOORD_STREAM_NAME": "PROBE_PROGRAM_FILE",
        "CARECOORD_SUBJECT_ROOT": "probe-program-file",
        "CARECOORD_DATA_DIR": str(tmp_path),
        "CARECOORD_PROGRAM_FILE": str(program),
    }

    done = run_cli(tmp_path, env, "relay")

    assert done.returncode == 1
    [line] = said(done)
    assert line.startswith(f"carecoord: CARECOORD_PROGRAM_FILE: program file {program}: ")
    assert reason in line
    assert "Traceback" not in done.stderr
