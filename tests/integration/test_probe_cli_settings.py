"""Wrong settings and arguments stop a command before it starts, with exit 2 and a line per
mistake naming the variable or argument, never a traceback nor the value given (it may be
a secret); a database out of reach stops it with a line saying so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_probe_audit_cli import unreachable_url


def carecoord(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_port_out_of_range_is_refused_with_the_usage(tmp_path: Path) -> None:
    done = carecoord(tmp_path, "api", "--port", "99999")

    assert done.returncode == 2, done.stderr
    assert "argument --port: a port is 1 to 65535, not 99999" in done.stderr


def test_wrong_settings_are_named_each_without_its_value(tmp_path: Path) -> None:
    done = carecoord(
        tmp_path, "relay", CARECOORD_PORT="99999", CARECOORD_ENVIRONMENT="secret-ish-value"
    )

    assert done.returncode == 2, done.stderr
    assert "carecoord: CARECOORD_PORT: Input should be less than or equal to 65535" in (done.stderr)
    assert "carecoord: CARECOORD_ENVIRONMENT:" in done.stderr
    assert "secret-ish-value" not in done.stderr
    assert "Traceback" not in done.stderr


def test_an_env_file_not_utf8_is_named_in_a_line(tmp_path: Path) -> None:
    """A .env saved in another encoding ended the command in a traceback."""
    (tmp_path / ".env").write_bytes(b"CARECOORD_HOST=h\xf4te\n")
    done = carecoord(tmp_path, "token", "--user", "dr-lee", "--role", "prescriber")

    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"carecoord: {tmp_path / '.env'}: not UTF-8 text (byte 0xf4 at offset 16);"
        " save it as UTF-8, or move it away\n"
    )


@pytest.mark.parametrize("variable", ["DATABASE_URL", "CARECOORD_DATABASE_URL"])
def test_a_wrong_setting_is_named_as_it_was_set(
    tmp_path: Path, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DATABASE_URL set wrong was named CARECOORD_DATABASE_URL, a variable nobody had set."""
    for name in ("DATABASE_URL", "CARECOORD_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    done = carecoord(tmp_path, "relay", **{variable: "not-a-url"})

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"carecoord: {variable}: "), done.stderr
    assert "not a PostgreSQL connection string" in done.stderr
    assert "not-a-url" not in done.stderr


@pytest.mark.parametrize("command", [["relay"], ["project"], ["rebuild", "timeline"]])
def test_a_database_out_of_reach_is_said_in_a_line(tmp_path: Path, command: list[str]) -> None:
    done = carecoord(tmp_path, *command, DATABASE_URL=unreachable_url())

    assert done.returncode == 1, done.stderr
    assert f"carecoord {command[0]}: cannot reach the database" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("command", "env", "missing"),
    [
        ("api", {}, "DATABASE_URL and NATS_URL"),
        ("relay", {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}, "NATS_URL"),
        ("disclose", {}, "DATABASE_URL and NATS_URL"),
    ],
)
def test_a_deployed_process_in_production_starts_no_embedded_server(
    tmp_path: Path, command: str, env: dict[str, str], missing: str
) -> None:
    """A service whose DATABASE_URL was lost kept the clinic's records in a PostgreSQL of its
    own under its data directory; a relay whose NATS_URL was lost published to a nats-server
    of its own that no subscriber reads."""
    settings = {
        "CARECOORD_ENVIRONMENT": "production",
        "CARECOORD_DATA_DIR": str(tmp_path),
        "CARECOORD_JWT_SECRET": "p" * 40,
        "DATABASE_URL": "",
        "NATS_URL": "",
    }
    args = [command, "--recipient", "clinic_north"] if command == "disclose" else [command]

    done = carecoord(tmp_path, *args, **(settings | env))

    assert done.returncode == 2, done.stderr
    assert f"starts no embedded server: set {missing}" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
