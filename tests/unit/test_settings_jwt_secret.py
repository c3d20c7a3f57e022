"""CARECOORD_JWT_SECRET under the 32 bytes HS256 needs is refused at start, naming the
variable and never the value: a secret of a few characters signed and checked every token,
the JWT library warning of it with a line of its source on each, and one guessed forges any
user's token."""

from __future__ import annotations

import os
from pathlib import Path

from cli_run import run_cli


def test_a_short_jwt_secret_is_refused_without_its_value(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CARECOORD_") and k not in ("DATABASE_URL", "NATS_URL")
    }
    env["CARECOORD_JWT_SECRET"] = "hunter2-hunter2"
    done = run_cli(tmp_path, env, "token", "--user", "dr-lee", "--role", "prescriber")

    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "carecoord: CARECOORD_JWT_SECRET: Value error, under the 32 bytes HS256 needs; make one"
        ' with python -c "import secrets; print(secrets.token_urlsafe(48))"\n'
    )


def test_a_jwt_secret_of_32_bytes_signs_tokens(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CARECOORD_") and k not in ("DATABASE_URL", "NATS_URL")
    }
    env["CARECOORD_JWT_SECRET"] = "s" * 32
    done = run_cli(tmp_path, env, "token", "--user", "dr-lee", "--role", "prescriber")

    assert done.returncode == 0, done.stderr
    assert done.stdout.count(".") == 2
    assert done.stderr == ""
