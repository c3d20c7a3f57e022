"""The checked-in SDL is the schema the code builds, and the command that rewrites it works."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

from carecoord.graphql.export import REGENERATE, SCHEMA_FILE, sdl
from carecoord.services.runtime.cli import export_schema


def test_the_checked_in_sdl_is_the_schema_the_code_builds() -> None:
    assert SCHEMA_FILE.exists(), f"graphql/schema.graphql is missing; create it with: {REGENERATE}"
    built = sdl()
    stored = SCHEMA_FILE.read_text(encoding="utf-8")
    changed = list(
        difflib.unified_diff(stored.splitlines(), built.splitlines(), "file", "code", lineterm="")
    )
    assert not changed, (
        f"graphql/schema.graphql differs from the schema in code; regenerate it with: "
        f"{REGENERATE}\n" + "\n".join(changed[:60])
    )


def test_the_schema_command_writes_then_checks_the_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    assert export_schema(target, check=True) == 1
    assert export_schema(target, check=False) == 0
    assert target.read_text(encoding="utf-8") == sdl()
    assert export_schema(target, check=True) == 0
    target.write_text(sdl().replace("type Query", "type Querry"), encoding="utf-8")
    assert export_schema(target, check=True) == 1


def test_a_write_cut_short_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    """The file was truncated, then written: a write cut short (a full disk, a file size
    limit, Ctrl-C) left the first part of a schema in place of the whole one."""
    target = tmp_path / "schema.graphql"
    target.write_text("type Query { old: Int }\n", encoding="utf-8")
    limited = (
        "import resource, runpy, signal\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "runpy.run_module('carecoord.services.runtime.cli', run_name='__main__')\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", limited, "schema", "--output", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert done.stderr == f"carecoord schema: cannot write {target}: File too large\n"
    assert target.read_text(encoding="utf-8") == "type Query { old: Int }\n"
    assert [p.name for p in tmp_path.iterdir()] == ["schema.graphql"]


def test_an_output_no_file_can_have_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name longer than a folder takes was asked whether it was a file: a traceback."""
    target = tmp_path / ("x" * 300)

    assert export_schema(target, check=False) == 2
    assert capsys.readouterr().err == (
        f"carecoord schema: cannot read {target}: File name too long\n"
    )
