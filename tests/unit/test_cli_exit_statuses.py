"""``carecoord --help`` says what each exit status means (it said none; only the README
named 75), and the statuses it names are the ones the code exits with."""

from __future__ import annotations

import signal

import pytest

from carecoord.services.runtime import audit_cli, audit_export
from carecoord.services.runtime.bootstrap import EXIT_BROKER_GONE
from carecoord.services.runtime.cli import EXIT_OUTPUT_LOST, arguments, main


def test_the_help_names_every_exit_status_the_code_uses() -> None:
    said = arguments().format_help()
    statuses = said[said.index("exit status:") :]

    for status in (0, 1, 2, EXIT_BROKER_GONE, 128 + signal.SIGPIPE):
        assert f"\n  {status} " in statuses
    assert EXIT_BROKER_GONE == 75
    assert EXIT_OUTPUT_LOST == audit_cli.CANNOT_CHECK == audit_export.NOT_EXPORTED == 2
    assert audit_cli.BROKEN == 1


@pytest.mark.parametrize("check", ["verify", "projections", "export"])
def test_each_audit_check_gives_its_exit_statuses(
    check: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["audit", check, "--help"])

    assert exited.value.code == 0
    assert "exit status: 0 " in capsys.readouterr().out


def test_audit_projections_help_names_each_cause_of_cannot_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["audit", "projections", "--help"])

    said = " ".join(capsys.readouterr().out.split())
    cannot_check = said[said.index("2 cannot check") :]
    causes = ("no database", "does not decode", "another verification running", "a later version")
    for cause in (*causes, "interrupted"):
        assert cause in cannot_check


def test_audit_verify_help_names_each_cause_of_cannot_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A malformed anchors file exits 2, which the help did not say."""
    with pytest.raises(SystemExit):
        main(["audit", "verify", "--help"])

    said = " ".join(capsys.readouterr().out.split())
    cannot_check = said[said.index("2 cannot check") :]
    for cause in ("no database", "no event store", "anchors file", "malformed", "interrupted"):
        assert cause in cannot_check
