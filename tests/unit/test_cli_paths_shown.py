"""A path a command cannot use is said with what a terminal acts on escaped, and cut short:
``schema --output``, ``audit verify --anchors`` and ``audit export --out`` said it as given,
so a name holding ``\\e[2J`` cleared the screen it was said on and one of 300 characters
was said whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_run import run_cli, said

ESCAPE = "a\x1b[2Jb\u202ec"
SHOWN = "a\\x1b[2Jb\\u202ec"


@pytest.mark.parametrize(
    ("arguments", "told"),
    [
        (["schema", "--output"], "carecoord schema: cannot write {}: No such file or directory"),
        (
            ["audit", "verify", "--anchors"],
            "carecoord audit verify: --anchors {}: No such file or directory",
        ),
        (
            ["audit", "export", "--as", "aud-1", "--program", "OTP", "--out"],
            "carecoord audit export: cannot write {}: no writable folder",
        ),
    ],
    ids=["schema", "anchors", "export"],
)
def test_a_path_is_said_escaped(tmp_path: Path, arguments: list[str], told: str) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://root@127.0.0.1:1/nowhere"}
    path = f"{tmp_path}/none/{ESCAPE}"

    done = run_cli(tmp_path, env, *arguments, path)

    assert done.returncode == 2
    assert "\x1b" not in done.stderr
    assert said(done)[-1].startswith(told.format(f"{tmp_path}/none/{SHOWN}"))


def test_a_long_path_is_cut_short(tmp_path: Path) -> None:
    done = run_cli(tmp_path, dict(os.environ), "schema", "--output", f"/none/{'x' * 300}")

    assert done.returncode == 2
    assert said(done) == [
        f"carecoord schema: cannot write /none/{'x' * 194}...: No such file or directory"
    ]
