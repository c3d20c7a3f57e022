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
SLOW_IMPORT = """
import sys, time
from pathlib import Path

MARKER = Path(sys.argv.pop(1))

class Slow:
    def find_spec(self, name, path, target=None):
        if name == "carecoord.services.runtime.cli":
            MARKER.touch()
            time.sleep(30)
        return None

sys.meta_path.insert(0, Slow())
"""
"""Run first: the import of the command line's modules, once begun, says so (``MARKER``) and
takes its time, so the signal lands inside it however busy the machine is (a look for the
process's libraries in /proc found it, on a loaded machine, only once its command had printed
its token and was ending, and the signal stopped nothing)."""


def console_script(marker: Path) -> list[str]:
    """The ``carecoord`` command as pip's console script runs it, from pyproject.toml, its
    imports slowed (``SLOW_IMPORT``, which makes ``marker`` once they are under way)."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = declared["carecoord"].split(":")
    run = f"{SLOW_IMPORT}from {module} import {function}; sys.exit({function}())"
    return [sys.executable, "-c", run, str(marker)]


@pytest.mark.parametrize(
    ("signum", "line"), [(signal.SIGINT, INTERRUPTED), (signal.SIGTERM, TERMINATED)]
)
def test_a_stop_while_the_command_line_imports_ends_it_with_one_line(
    tmp_path: Path, signum: signal.Signals, line: str
) -> None:
    command, out, err = stopped_while_importing(tmp_path, signum)

    assert command.returncode == -signum, err
    assert err == f"{line}\n"
    assert out == ""


def test_ctrl_c_while_importing_ends_a_command_a_script_started_in_the_background(
    tmp_path: Path,
) -> None:
    """Such a command inherits SIGINT ignored: one sent while it imported was lost, and
    `carecoord up &` then ran on, its servers with it."""
    command, _, err = stopped_while_importing(tmp_path, signal.SIGINT, ignored=True)

    assert command.returncode == -signal.SIGINT, err
    assert err == f"{INTERRUPTED}\n"


def stopped_while_importing(
    tmp_path: Path, signum: signal.Signals, *, ignored: bool = False
) -> tuple[subprocess.Popen[str], str, str]:
    """``carecoord token`` sent ``signum`` once it is importing the command line's modules
    (started with it ignored, when ``ignored``); the process and what it said."""
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path)}
    marker = tmp_path / "importing"
    command = subprocess.Popen(
        [*console_script(marker), "token", "--user", "nurse-kim", "--role", "nurse"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signum, signal.SIG_IGN)) if ignored else None,  # noqa: PLW1509
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert command.poll() is None, "the command ended before it began importing"
        assert time.monotonic() < deadline, "the command never began importing"
        time.sleep(0.01)

    command.send_signal(signum)
    out, err = command.communicate(timeout=30)
    return command, out, err
