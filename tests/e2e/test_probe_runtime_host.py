"""The interface the API listens on, as a new user or a deployment gets it wrong.

An empty CARECOORD_HOST (a blank line in .env, `${HOST}` unset in a compose file) made
the API listen on every interface of the machine and print http://:8000/graphql; a host
that is no address of this machine was blamed on the port ("choose another with --port")
once the servers had started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from carecoord.services.runtime.embedded import free_port


def _carecoord(home: Path, *args: str, host: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "NATS_URL") and not k.startswith("CARECOORD_")
    }
    env["CARECOORD_DATA_DIR"] = str(home / "data")
    if host is not None:
        env["CARECOORD_HOST"] = host
    return subprocess.run(
        [sys.executable, "-m", "carecoord.services.runtime.cli", *args],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("host", ["", "  "])
@pytest.mark.parametrize("command", ["up", "api"])
def test_an_empty_host_is_refused_naming_the_variable(
    tmp_path: Path, host: str, command: str
) -> None:
    done = _carecoord(tmp_path, command, "--port", str(free_port()), host=host)

    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("carecoord: CARECOORD_HOST: ")
    assert "0.0.0.0" in line  # how to ask for every interface, if that was meant
    assert not (tmp_path / "data").exists()  # nothing started


def test_an_empty_host_argument_is_refused_with_the_usage(tmp_path: Path) -> None:
    done = _carecoord(tmp_path, "up", "--host", "", "--port", str(free_port()))

    assert done.returncode == 2
    assert "argument --host" in done.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("host", ["junk.invalid", "192.0.2.1"])
def test_a_host_that_is_no_address_here_is_named_before_anything_starts(
    tmp_path: Path, host: str
) -> None:
    port = free_port()
    done = _carecoord(tmp_path, "up", "--port", str(port), host=host)

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"carecoord: cannot listen on {host}:{port} ")
    assert "--host" in line
    assert "CARECOORD_HOST" in line
    assert "--port" not in line
    assert not (tmp_path / "data").exists()
