"""``audit export`` to a standard output closed as it started (``>&-``, a service manager's
job with no output) is refused before the access log records it: the record was written
nowhere, exit 0, and the log held it as exported to the auditor."""

from __future__ import annotations

import sys
from uuid import uuid4

import pytest

from carecoord.services.runtime import audit_cli
from carecoord.services.runtime.cli import arguments, output_kept


def test_an_export_to_standard_output_closed_at_start_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = arguments().parse_args(["audit", "export", "--client", str(uuid4()), "--as", "aud-7"])
    monkeypatch.setattr(sys, "stdout", None)  # as Python starts with its descriptor closed

    with output_kept():
        status = audit_cli.run(args, "postgresql://nobody@127.0.0.1:1/none")  # never reached
    sys.stdout.close()  # the null device it stood in with

    assert status == 2
    assert capsys.readouterr().err == (
        "carecoord audit export: standard output is closed: nothing would receive the record,"
        " yet the access log would hold it as exported; give --out FILE\n"
    )
