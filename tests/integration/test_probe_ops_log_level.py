"""``--log-level`` as the help gives it, in either case; a name logging lacks is a usage error.
``debug`` (the help's DEBUG in lower case) and ``bogus`` each ended in a traceback, exit 1."""

from __future__ import annotations

import os
from pathlib import Path

from cli_run import run_cli, said

TOKEN = ("token", "--user", "dr-lee", "--role", "prescriber")


def test_a_level_is_taken_in_either_case(tmp_path: Path) -> None:
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path)}

    done = run_cli(tmp_path, env, "--log-level", "debug", *TOKEN)

    assert done.returncode == 0, done.stderr
    assert done.stdout.count(".") == 2  # a JWT: header.claims.signature


def test_an_unknown_level_is_refused_with_the_usage(tmp_path: Path) -> None:
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path)}

    done = run_cli(tmp_path, env, "--log-level", "bogus", *TOKEN)

    assert done.returncode == 2
    assert said(done)[-1].startswith("carecoord: error: argument --log-level: invalid choice")
    assert "Traceback" not in done.stderr
