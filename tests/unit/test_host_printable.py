"""The interface to listen on is a host name or an address: printable, at most 253
characters. One holding a terminal's escapes (``--host`` or ``CARECOORD_HOST``) started the
servers and was then echoed raw in 'cannot listen on ...', the escapes run by the terminal
that showed it; it is refused before anything starts, naming the argument or the variable,
never echoing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecoord.services.runtime.cli import main

HOSTILE = ["local\x1b[2Jhost", "127.0.0.1\n", "h" * 254, " 127.0.0.1"]


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out, err = capsys.readouterr()
    assert exited.value.code == 2, (out, err)
    assert "\x1b" not in err
    return err


@pytest.mark.parametrize("host", HOSTILE)
def test_a_host_argument_that_is_no_host_is_refused_with_the_usage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    monkeypatch.setenv("CARECOORD_DATA_DIR", str(tmp_path / "data"))
    said = refused(capsys, ["up", "--host", host])

    assert "argument --host: not a host name or address" in said
    assert not (tmp_path / "data").exists()  # nothing started


@pytest.mark.parametrize("host", HOSTILE)
def test_a_host_variable_that_is_no_host_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    monkeypatch.setenv("CARECOORD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARECOORD_HOST", host)
    said = refused(capsys, ["up"])

    assert "CARECOORD_HOST" in said
    assert "not a host name or address" in said
    assert not (tmp_path / "data").exists()
