"""A value that starts with ``-`` is the option's value, and its own check says what is
wrong with it: ``audit verify --access-log-head -5:<hash>`` was refused "expected one
argument", naming no reason. A ``--`` word is still an option, so a value forgotten before
the next one is said so, and a word no option takes is an unrecognized argument."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_run import run_cli, said

from carecoord.services.runtime import cli

HASH = "ab" * 32


def test_a_head_that_starts_with_a_minus_is_refused_as_no_entry_number(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://root@127.0.0.1:1/nowhere"}

    done = run_cli(tmp_path, env, "audit", "verify", "--access-log-head", f"-5:{HASH}")

    assert done.returncode == 2
    assert said(done)[-1] == (
        "carecoord audit verify: error: argument --access-log-head:"
        f" '-5:{HASH}' is not SEQ:HASH (an entry number and 64 hex digits)"
    )


def test_a_value_that_starts_with_a_minus_is_taken_as_the_value() -> None:
    args = cli.arguments().parse_args(["audit", "export", "--as", "-aud", "--program", "OTP"])

    assert args.auditor == "-aud"


@pytest.mark.parametrize(
    ("given", "told"),
    [
        (["--access-log-head", "--json"], "argument --access-log-head: expected one argument"),
        (["-x"], "unrecognized arguments: -x"),
    ],
)
def test_a_missing_value_or_a_stray_word_is_still_refused(
    given: list[str], told: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.arguments().parse_args(["audit", "verify", *given])

    assert exited.value.code == 2
    assert told in capsys.readouterr().err


@pytest.mark.parametrize(
    "given",
    [
        ["audit", "verify", "--access-log-head", f"{'9' * 100_000}:{HASH}"],
        ["audit", "export", "--as", "aud-1", "--client", "9" * 100_000],
        ["token", "--user", "dr-lee", "--role", "nurse", "--hours", "9" * 100_000],
    ],
    ids=["access-log-head", "client", "hours"],
)
def test_a_huge_value_is_quoted_cut_short(
    given: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.arguments().parse_args(given)

    told = capsys.readouterr().err
    assert exited.value.code == 2
    assert f"argument {given[-2]}: " in told
    assert "9" * 100 in told
    assert "9" * 121 not in told
    assert "..." in told
