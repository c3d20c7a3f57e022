"""A long command's log lines (JSON, one a line) and its progress bar share stderr. Where
stderr is not a terminal (a supervisor's or a collector's pipe), the bar is not drawn in
place, where a line logged meanwhile went on the bar's line and read as no JSON: its last
state is one line of its own as the command ends."""

from __future__ import annotations

import json
import sys

import pytest

from carecoord.services.runtime.meter import meter

LOGGED = {"level": "info", "msg": "rebuilt", "read_model": "timeline"}


def test_a_line_logged_while_the_bar_runs_is_a_line_of_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with meter("rebuilding timeline") as shown:
        shown(1, 10)
        print(json.dumps(LOGGED), file=sys.stderr)  # as the log handler writes a line
        shown(10, 10)

    lines = capsys.readouterr().err.split("\n")
    assert json.dumps(LOGGED) in lines
    assert lines[-2].startswith("rebuilding timeline: 100%")
    assert "10/10" in lines[-2]
    assert lines[-1] == ""
    assert not any("\r" in line for line in lines)
