"""``carecoord token`` issues only tokens the API accepts, and ``carecoord schema`` says why
it cannot write: a refusal names the argument and the reason and exits 2, never a traceback
or a token every request would then be refused with."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecoord.services.infrastructure.identity import KeySource, TokenVerifier, signing_key
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.cli import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CARECOORD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CARECOORD_JWT_SECRET", raising=False)
    return tmp_path


def refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    out, err = capsys.readouterr()
    assert exited.value.code == 2, (out, err)
    assert not out, "nothing is issued or written"
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--user", "", "--role", "nurse"], "--user"),
        (["--user", "   ", "--role", "nurse"], "--user"),
        (["--user", "x" * 5000, "--role", "nurse"], "--user"),
        (["--user", "nurse\x1b[2Jkim", "--role", "nurse"], "--user"),
        (["--user", "nurse-\u0430nna", "--role", "nurse"], "--user: sub holds U+0430"),
        (["--user", "kim", "--role", "client"], "--user"),
        (["--user", "dr-lee", "--role", "program_admin", "--program", " "], "--program"),
        (["--user", "kim", "--role", "nurse", "--hours", "nan"], "--hours"),
        (["--user", "kim", "--role", "nurse", "--hours", "inf"], "--hours"),
        (["--user", "kim", "--role", "nurse", "--hours", "-5"], "--hours"),
        (["--user", "kim", "--role", "nurse", "--hours", "0"], "--hours"),
        (["--user", "kim", "--role", "nurse", "--hours", "1e12"], "--hours"),
    ],
)
def test_a_token_the_api_would_refuse_is_not_issued(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    assert named in refusal(capsys, "token", *argv)


def test_an_issued_token_verifies(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["token", "--user", "nurse-kim", "--role", "nurse", "--hours", "0.5"])
    assert exited.value.code == 0
    token = capsys.readouterr().out.strip()
    settings = Settings(data_dir=data_dir)
    identity = TokenVerifier(settings, KeySource(), signing_key(settings)).verify(token)
    assert identity.user_id == "nurse-kim"


def test_the_schema_command_names_a_path_it_cannot_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "schema.graphql"
    err = refusal(capsys, "schema", "--output", str(target))
    assert str(target) in err
