"""No person is known by an id the platform's own components sign the record with: a token
for user ``system`` was issued and accepted, and its reads were logged as ``system
(auditor)``, the platform itself to whoever read the log. ``carecoord token`` refuses one
naming ``--user`` (exit 2), the API refuses a token with one (``token-subject-reserved``),
and ``audit export --as`` refuses one too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from carecoord.services.infrastructure.identity import KeySource, TokenVerifier
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.errors import Unauthenticated
from carecoord.services.runtime.cli import main

RESERVED = ["system", "System", "alert-rules", "missed-dose-sweep", "disclose-clinic_north"]


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    out, err = capsys.readouterr()
    assert exited.value.code == 2, (out, err)
    assert not out, "no token is issued"
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("user", RESERVED)
def test_a_token_for_the_platforms_own_id_is_not_issued(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    user: str,
) -> None:
    monkeypatch.setenv("CARECOORD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CARECOORD_JWT_SECRET", raising=False)

    said = refused(capsys, "token", "--user", user, "--role", "auditor")

    assert said.startswith("carecoord token: argument --user: sub reads as ")
    assert "the platform's own components sign the record with" in said
    assert "give the person's own id" in said


@pytest.mark.parametrize("user", RESERVED)
def test_the_api_refuses_a_token_for_the_platforms_own_id(user: str) -> None:
    secret = "test-secret-" * 6
    settings = Settings(jwt_secret=secret)
    now = datetime.now(UTC)
    claims = {
        "sub": user,
        "roles": ["auditor"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "exp": now + timedelta(minutes=5),
    }
    with pytest.raises(Unauthenticated) as refusal:
        TokenVerifier(settings, KeySource(), secret).verify(jwt.encode(claims, secret))
    assert refusal.value.rule == "token-subject-reserved"


def test_an_export_is_not_logged_as_the_platform(capsys: pytest.CaptureFixture[str]) -> None:
    said = refused(capsys, "audit", "export", "--as", "system", "--program", "OTP")

    assert "argument --as: reads as system" in said


def test_a_user_whose_id_only_begins_alike_is_issued_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARECOORD_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        main(["token", "--user", "systems-auditor", "--role", "auditor"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.count(".") == 2  # a JWT
