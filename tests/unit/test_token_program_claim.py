"""A token's program claim is a program's name, printable and at most as long as an
enrolment's: one with a terminal's escapes or of a hundred thousand characters was issued
by ``carecoord token`` and accepted by the API, and every refusal about the program (another
program's client, another site's stock) quoted it whole into its answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from carecoord.services.infrastructure.identity import KeySource, TokenVerifier
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.errors import Unauthenticated
from carecoord.services.runtime.cli import main

HOSTILE = ["North\x1b[2JOTP", "North\nOTP", "p" * 201, "p" * 100_000]


@pytest.mark.parametrize("program", HOSTILE)
def test_the_api_refuses_a_program_claim_that_names_no_program(program: str) -> None:
    secret = "test-secret-" * 6
    settings = Settings(jwt_secret=secret)
    claims = {
        "sub": "admin-1",
        "roles": ["program_admin"],
        "program": program,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    with pytest.raises(Unauthenticated) as refusal:
        TokenVerifier(settings, KeySource(), secret).verify(jwt.encode(claims, secret))
    assert refusal.value.rule == "token-program"
    assert program not in refusal.value.message


@pytest.mark.parametrize("program", HOSTILE)
def test_carecoord_token_issues_none_naming_program(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    program: str,
) -> None:
    monkeypatch.setenv("CARECOORD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CARECOORD_JWT_SECRET", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["token", "--user", "admin-1", "--role", "program_admin", "--program", program])
    out, err = capsys.readouterr()
    assert exited.value.code == 2
    assert not out
    assert "argument --program: " in err
    assert program not in err


def test_a_program_of_an_enrolments_length_is_accepted() -> None:
    secret = "test-secret-" * 6
    settings = Settings(jwt_secret=secret)
    claims = {
        "sub": "admin-1",
        "roles": ["program_admin"],
        "program": " " + "p" * 200 + " ",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    identity = TokenVerifier(settings, KeySource(), secret).verify(jwt.encode(claims, secret))
    assert identity.program == "p" * 200
