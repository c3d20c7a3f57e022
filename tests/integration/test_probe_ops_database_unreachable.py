"""Each ``audit`` check with no database to reach says so in one line, exit 2: libpq's hint
(Is the server running ...?) came on a line of its own, and ``projections`` did not say
what it could not do."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_run import said
from test_probe_audit_cli import audit, unreachable_url

CHECKS = {
    "verify": ("verify",),
    "projections": ("projections",),
    "export": ("export", "--as", "aud-7", "--program", "OTP"),
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_an_unreachable_database_is_one_line(tmp_path: Path, check: str) -> None:
    done = audit(tmp_path, *CHECKS[check], url=unreachable_url())

    assert done.returncode == 2, done.stderr
    [line] = [told for told in said(done) if told.startswith("carecoord")]
    assert line.startswith(f"carecoord audit {check}: cannot reach the database: "), line
    assert line.endswith("accepting TCP/IP connections?"), line
