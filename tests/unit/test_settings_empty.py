"""A setting given empty (a blank line in .env, a compose file's variable left unset) is an
unset one: ``DATABASE_URL=`` reached whatever PostgreSQL libpq's defaults found (the
machine's own, its default database) instead of starting the embedded one, ``NATS_URL=``
tried no URL for 30 s and exited 75, ``CARECOORD_PROGRAM_FILE=`` stopped every process on the
folder ``.``, and ``CARECOORD_DATA_DIR=`` kept the servers' files, keys and runtime file in
the working directory itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_run import run_cli

from carecoord.services.infrastructure.settings import Settings

UNSET = {
    "DATABASE_URL": "database_url",
    "NATS_URL": "nats_url",
    "CARECOORD_READ_DATABASE_URL": "read_database_url",
    "CARECOORD_JWT_SECRET": "jwt_secret",
    "CARECOORD_CIPHER_KEY": "cipher_key",
    "CARECOORD_CHAIN_ANCHOR_FILE": "chain_anchor_file",
    "CARECOORD_PROGRAM_FILE": "program_file",
}


@pytest.fixture(autouse=True)
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in os.environ:
        if name.startswith("CARECOORD_") or name in ("DATABASE_URL", "NATS_URL"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the repository's


@pytest.mark.parametrize("empty", ["", "  "], ids=["empty", "blank"])
@pytest.mark.parametrize("variable", sorted(UNSET))
def test_an_empty_setting_is_unset(
    monkeypatch: pytest.MonkeyPatch, variable: str, empty: str
) -> None:
    monkeypatch.setenv(variable, empty)

    assert getattr(Settings(), UNSET[variable]) is None


def test_an_empty_data_directory_is_the_default_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECOORD_DATA_DIR", "")

    assert Settings().data_dir == Path(".carecoord")


def test_a_token_with_an_empty_data_directory_keeps_its_key_under_carecoord(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_")}
    done = run_cli(
        tmp_path, {**env, "CARECOORD_DATA_DIR": ""}, "token", "--user", "dr-lee", "--role",
        "prescriber",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert [p.name for p in tmp_path.iterdir()] == [".carecoord"]
    assert (tmp_path / ".carecoord" / "jwt.key").is_file()
