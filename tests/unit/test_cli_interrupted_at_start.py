"""Ctrl-C in a command's first second, while the command line's modules still import, ends
it with one line and by SIGINT (the shell says 130), as standard tools end: it printed a
KeyboardInterrupt traceback through the imports. SIGTERM then ends it with one line and by
SIGTERM (143): it ended by it with nothing said."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from carecoord.services.runtime.console import INTERRUPTED, TERMINATED

ROOT = Path(__file__).resolve().parents[2]
IMPORTING = "_pydantic_core"
"""A library the command line's imports load early and nothing before them: once the process
has it mapped, it is importing them."""

ATTEMPTS = 5
"""Runs of the command before the signal lands while it runs: on a busy machine the test
may look at the process only after its imports and its command are done (exit 0), and such a
run stopped nothing."""


def console_script() -> list[str]:
    """The ``carecoord`` command as pip's console script runs it, from pyproject.toml."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = declared["carecoord"].split(":")
    run = f"import sys; from {module} import {function}; sys.exit({function}())"
    return [sys.executable, "-c", run]


def importing(pid: int) -> bool:
    try:
        return IMPORTING in Path(f"/proc/{pid}/maps").read_text()
    except FileNotFoundError:  # ended already: the caller reads how
        return True


@pytest.mark.parametrize(
    ("signum", "line"), [(signal.SIGINT, INTERRUPTED), (signal.SIGTERM, TERMINATED)]
)
def test_a_stop_while_the_command_line_imports_ends_it_with_one_line(
    tmp_path: Path, signum: signal.Signals, line: str
) -> None:
    for _ in range(ATTEMPTS):
        command, out, err = stopped_while_importing(tmp_path, signum)
        if command.returncode != 0:
            break  # the signal came while it ran: what is asserted below

    assert command.returncode == -signum, err
    assert err == f"{line}\n"
    assert out == ""


def stopped_while_importing(
    tmp_path: Path, signum: signal.Signals
) -> tuple[subprocess.Popen[str], str, str]:
    """``carecoord token`` sent ``signum`` once it is importing the command line's modules;
    the process and what it said."""
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path)}
    command = subprocess.Popen(
        [*console_script(), "token", "--user", "nurse-kim", "--role", "nurse"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not importing(command.pid):
        assert time.monotonic() < deadline, "the command never began importing"
        time.sleep(0.001)

    command.send_signal(signum)
    out, err = command.communicate(timeout=30)
    return command, out, err
