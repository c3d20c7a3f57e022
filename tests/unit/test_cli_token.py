"""``carecoord token`` issues only tokens the API accepts, and ``carecoord schema`` says why
it cannot write: a refusal names the argument and the reason and exits 2, never a traceback
or a token every request would then be refused with. No key to sign with (production without
CARECOORD_JWT_SECRET, a damaged key in the data directory) is said the same way."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from carecoord.services.infrastructure.identity import KeySource, TokenVerifier, signing_key
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.errors import Unauthenticated
from carecoord.services.runtime.cli import main
from carecoord.services.runtime.embedded import (
    NATS_STORE_KEY_FILE,
    EmbeddedServerFailed,
    nats_store_key,
)


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
        (["--user", "kim", "--role", "nurse", "--hours", "nan"], "--hours: nan is not a number"),
        (["--user", "kim", "--role", "nurse", "--hours", "inf"], "--hours: inf is not a number"),
        (["--user", "kim", "--role", "nurse", "--hours", "-5"], "--hours: -5 is under a minute"),
        (["--user", "kim", "--role", "nurse", "--hours", "0"], "--hours: 0 is under a minute"),
        (["--user", "kim", "--role", "nurse", "--hours", "1e12"], "--hours: 1e12 is over a year"),
        # It lived 4 s, and 1e-9 not at all: expired as it was issued.
        (["--user", "kim", "--role", "nurse", "--hours", "0.001"], "0.001 is under a minute"),
        (["--user", "kim", "--role", "nurse", "--hours", "1e-9"], "1e-9 is under a minute"),
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


def test_a_role_given_twice_is_in_the_token_once(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The API reads a repeated role as one; the token repeated it (``--role nurse --role
    nurse`` issued roles ["nurse", "nurse"]). The order given is kept."""
    roles = ["--role", "nurse", "--role", "prescriber", "--role", "nurse"]
    with pytest.raises(SystemExit) as exited:
        main(["token", "--user", "nurse-kim", *roles])
    assert exited.value.code == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert claims["roles"] == ["nurse", "prescriber"]


@pytest.mark.parametrize(("hours", "seconds"), [("0.0167", 60), ("8784", 8784 * 3600)])
def test_a_token_of_the_shortest_or_the_longest_lifetime_is_issued(
    data_dir: Path, capsys: pytest.CaptureFixture[str], hours: str, seconds: int
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["token", "--user", "nurse-kim", "--role", "nurse", "--hours", hours])
    assert exited.value.code == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] - seconds in (0, 1)  # whole seconds, of 60.12 too


def test_the_schema_command_names_a_path_it_cannot_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "schema.graphql"
    err = refusal(capsys, "schema", "--output", str(target))
    assert str(target) in err


@pytest.mark.parametrize(
    "damaged", [b"", b"  \n", b"\xff\xfe\x00"], ids=["empty", "blank", "not-text"]
)
def test_a_damaged_signing_key_is_named_not_a_traceback(
    data_dir: Path, capsys: pytest.CaptureFixture[str], damaged: bytes
) -> None:
    """An empty key was the JWT library's traceback, one not UTF-8 the codec's."""
    (data_dir / "jwt.key").write_bytes(damaged)

    err = refusal(capsys, "token", "--user", "nurse-kim", "--role", "nurse")

    assert err == (
        f"carecoord token: {data_dir / 'jwt.key'}: the development signing key is empty or not"
        " text; remove it and a new one is made (the tokens signed with it stop working)\n"
    )


def test_a_signing_key_cut_short_is_named_not_used(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key of a few bytes signed tokens anyone could forge, the JWT library warning of it
    with a line of its source on every token."""
    (data_dir / "jwt.key").write_text("xx\n")

    err = refusal(capsys, "token", "--user", "nurse-kim", "--role", "nurse")

    assert err == (
        f"carecoord token: {data_dir / 'jwt.key'}: the development signing key is 2 bytes,"
        " under the 32 HS256 needs; remove it and a new one is made (the tokens signed with"
        " it stop working)\n"
    )


def test_a_signing_key_that_is_a_folder_is_named(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data_dir / "jwt.key").mkdir()

    err = refusal(capsys, "token", "--user", "nurse-kim", "--role", "nurse")

    assert f"cannot use {data_dir / 'jwt.key'} (is a directory)" in err


@pytest.mark.parametrize("argv", [["token", "--user", "kim", "--role", "nurse"], ["relay"]])
def test_production_without_a_jwt_secret_stops_before_anything_starts(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:  # fmt: skip
    """It was a traceback, for the relay once it had reached the database and the broker."""
    monkeypatch.setenv("CARECOORD_ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # not reached
    monkeypatch.setenv("NATS_URL", "nats://127.0.0.1:1")

    err = refusal(capsys, *argv)

    assert "CARECOORD_JWT_SECRET: must be set in production" in err
    assert len(err.splitlines()) == 1
    assert not any(data_dir.iterdir())


@pytest.mark.parametrize("damaged", [b"", b"\xff\xfe\x00"], ids=["empty", "not-text"])
def test_a_damaged_nats_store_key_is_named_not_a_traceback(tmp_path: Path, damaged: bytes) -> None:
    """Not text was a traceback; an empty key started the embedded store unencrypted."""
    (tmp_path / NATS_STORE_KEY_FILE).write_bytes(damaged)

    with pytest.raises(EmbeddedServerFailed) as refused:
        nats_store_key(tmp_path)

    assert f"{tmp_path / NATS_STORE_KEY_FILE} is empty or not text" in str(refused.value)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "No such file or directory"),
        (b"\xff\xfe", "not a JSON Web Key Set (UnicodeDecodeError"),
        (b"{", "not a JSON Web Key Set"),
        (b'{"keys": []}', "not a JSON Web Key Set (PyJWKSetError"),
    ],
    ids=["missing", "not text", "not JSON", "no key"],
)
def test_a_key_set_that_cannot_be_read_stops_before_anything_starts(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    content: bytes | None, said: str,
) -> None:  # fmt: skip
    """Each was a traceback of the file's reading or the JWT library's."""
    jwks = data_dir / "jwks.json"
    if content is not None:
        jwks.write_bytes(content)
    monkeypatch.setenv("CARECOORD_JWT_JWKS_FILE", str(jwks))
    monkeypatch.setenv("CARECOORD_JWT_ALGORITHMS", '["RS256"]')
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # not reached
    monkeypatch.setenv("NATS_URL", "nats://127.0.0.1:1")

    err = refusal(capsys, "relay")

    assert err.startswith(f"carecoord: CARECOORD_JWT_JWKS_FILE: {jwks}: {said}"), err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("CARECOORD_JWT_ALGORITHMS", "RS256", 'not a JSON list; write it as ["RS256", "ES256"]'),
        (
            "CARECOORD_JWT_JWKS_CACHE_SECONDS",
            "five minutes",
            "Input should be a valid number, unable to parse string as a number",
        ),
        ("CARECOORD_JWT_JWKS_CACHE_SECONDS", "0", "must be a positive number"),
    ],
)
def test_a_key_setting_that_cannot_be_read_is_named_not_a_traceback(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    variable: str, value: str, said: str,
) -> None:  # fmt: skip
    """CARECOORD_JWT_ALGORITHMS=RS256 (not a JSON list) stopped the API with a traceback."""
    monkeypatch.setenv("CARECOORD_JWT_JWKS_URL", "http://127.0.0.1:1/jwks")  # not reached
    monkeypatch.setenv("CARECOORD_JWT_ALGORITHMS", '["RS256"]')
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # not reached
    monkeypatch.setenv("NATS_URL", "nats://127.0.0.1:1")

    err = refusal(capsys, "relay")

    assert err == f"carecoord: {variable}: {said}\n"


def test_production_with_an_identity_provider_names_the_audience_it_takes(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the default audience, every deployment one identity provider serves (another
    program's, a test one) took the tokens the provider gave the others."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.get_algorithm_by_name("RS256").to_jwk(key.public_key()))
    jwks = data_dir / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public | {"kid": "k1", "use": "sig"}]}))
    monkeypatch.setenv("CARECOORD_ENVIRONMENT", "production")
    monkeypatch.setenv("CARECOORD_JWT_JWKS_FILE", str(jwks))
    monkeypatch.setenv("CARECOORD_JWT_ALGORITHMS", '["RS256"]')
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # not reached
    monkeypatch.setenv("NATS_URL", "nats://127.0.0.1:1")

    err = refusal(capsys, "relay")

    assert err.startswith("carecoord: CARECOORD_JWT_AUDIENCE: must be set in production"), err
    assert len(err.splitlines()) == 1

    monkeypatch.setenv("CARECOORD_JWT_AUDIENCE", "carecoord-north")
    verifier = TokenVerifier(Settings(), KeySource(), None)
    claims = {"sub": "dr-lee", "roles": ["prescriber"], "iss": "carecoord", "exp": 2**40}
    for audience, taken in (("carecoord-north", True), ("carecoord-api", False)):
        token = jwt.encode(claims | {"aud": audience}, key, "RS256", headers={"kid": "k1"})
        if taken:
            assert verifier.verify(token).user_id == "dr-lee"
        else:
            with pytest.raises(Unauthenticated):
                verifier.verify(token)
