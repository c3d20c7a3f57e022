"""``carecoord schema --output`` naming what is no regular file: /dev/stdout on a pipe was
read before it was written, and the command waited for ever; ``--check`` of a file that is
not UTF-8 ended in a traceback. Only a regular file is read now; anything else is written."""

from __future__ import annotations

import os
from pathlib import Path

from cli_run import run_cli

from carecoord.graphql import export


def test_the_sdl_goes_to_standard_output_named_as_a_file(tmp_path: Path) -> None:
    done = run_cli(tmp_path, os.environ, "schema", "--output", "/dev/stdout")

    assert done.returncode == 0, done.stderr
    assert done.stdout == export.sdl() + "/dev/stdout: written\n"


def test_a_file_that_is_not_utf8_is_out_of_date(tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_bytes(b"\xff\xfe")

    done = run_cli(tmp_path, os.environ, "schema", "--check", "--output", str(stale))

    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(f"{stale}: out of date")
    assert "Traceback" not in done.stderr
