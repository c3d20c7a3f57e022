"""Bearer tokens: HS256 for development, RS256/ES256 from a JWKS file or URL, clear refusals."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.utils import base64url_encode

from carecoord.events import Actor, Role
from carecoord.services.infrastructure.identity import (
    Identity,
    KeySource,
    TokenVerifier,
    issue_token,
    signing_key,
)
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.errors import DomainError, Forbidden, Unauthenticated

SECRET = "test-secret-" * 6
SETTINGS = Settings(jwt_secret=SECRET)
CLIENT_ID = "0b3c7a52-4f0e-4c51-9d1a-6d3a0f6b8e11"


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "sub": "dr-lee",
        "roles": ["prescriber"],
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    values.update(overrides)
    return values


def hs256() -> TokenVerifier:
    return TokenVerifier(SETTINGS, KeySource(), SECRET)


def refusal_rule(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as refused:
        checked(verifier, token)
    return refused.value.rule


def checked(verifier: TokenVerifier, token: str) -> Identity:
    """``token`` verified as a request has it: the keys it needs fetched first, off the event
    loop (``prepare``), then checked on it."""
    asyncio.run(verifier.prepare(token))
    return verifier.verify(token)


def test_a_development_token_round_trips() -> None:
    identity = hs256().verify(issue_token(SETTINGS, "nurse-kim", Role.NURSE))
    assert identity.acting(None) == Actor(id="nurse-kim", role=Role.NURSE)


# Each token is minted when its test runs: minted at import, the valid ones would have
# expired (after 5 minutes) by the time a long suite reached them.
@pytest.mark.parametrize(
    ("mint", "rule"),
    [
        (
            lambda: jwt.encode(claims(exp=datetime.now(UTC) - timedelta(hours=1)), SECRET),
            "token-expired",
        ),
        (lambda: jwt.encode(claims(), "another-secret-another-secret-32!"), "token-invalid"),
        (lambda: jwt.encode(claims(iss="someone-else"), SECRET), "token-invalid"),
        (lambda: jwt.encode(claims(aud="another-api"), SECRET), "token-invalid"),
        (
            lambda: jwt.encode({k: v for k, v in claims().items() if k != "exp"}, SECRET),
            "token-invalid",
        ),
        (lambda: jwt.encode(claims(roles=["surgeon"]), SECRET), "token-role"),
        (lambda: jwt.encode(claims(roles=[]), SECRET), "token-role"),
        (lambda: jwt.encode(claims(roles=["system"]), SECRET), "token-role"),
        (lambda: jwt.encode(claims(roles=["nurse", "system"]), SECRET), "token-role"),
        (lambda: jwt.encode(claims(roles=["client"]), SECRET), "token-subject"),
        (lambda: jwt.encode(claims(sub="dr\x00lee"), SECRET), "token-subject"),
        (lambda: jwt.encode(claims(sub="dr\x07lee"), SECRET), "token-subject"),
        (lambda: jwt.encode(claims(sub="x" * 2_000_000), SECRET), "token-subject"),
        (lambda: jwt.encode(claims(sub="  "), SECRET), "token-subject"),
        (lambda: jwt.encode(claims(), SECRET, algorithm="HS512"), "token-algorithm"),
        (lambda: "not.a.token", "token-invalid"),
        (lambda: "garbage", "token-invalid"),
    ],
    ids=[
        "expired",
        "wrong-signature",
        "wrong-issuer",
        "wrong-audience",
        "no-expiry",
        "unknown-role",
        "no-role",
        "system-role",
        "system-among-roles",
        "client-without-client-id",
        "nul-in-subject",
        "control-in-subject",
        "subject-of-2-mb",
        "blank-subject",
        "other-algorithm",
        "malformed",
        "not-a-jwt",
    ],
)
def test_bad_tokens_are_refused_saying_why(mint: Callable[[], str], rule: str) -> None:
    assert refusal_rule(hs256(), mint()) == rule


@pytest.mark.parametrize(
    "sub",
    ["nurse-\u0430nna", "\uff4eurse-anna", "nurse-anna\ufe0f", "dr\u2010lee", "\u0458\u043e\u0435"],
    ids=["cyrillic-a-among-latin", "fullwidth-n", "variation-selector", "unicode-hyphen",
         "cyrillic-drawn-as-latin"],
)  # fmt: skip
def test_a_subject_that_reads_as_another_users_is_refused(sub: str) -> None:
    """Each record a request writes names its subject: one that reads as nurse-anna's but is
    not hers would sign for her in every log and listing."""
    with pytest.raises(Unauthenticated) as refused:
        hs256().verify(jwt.encode(claims(sub=sub), SECRET))

    assert (refused.value.field, refused.value.rule) == ("authorization", "token-subject-lookalike")
    assert refused.value.message.startswith("sub ")
    assert sub not in refused.value.message


def test_a_user_with_several_roles_names_the_one_they_act_in() -> None:
    identity = hs256().verify(issue_token(SETTINGS, "dr-ames", Role.PRESCRIBER, Role.AUDITOR))
    with pytest.raises(Forbidden) as unnamed:
        identity.acting(None)
    assert unnamed.value.rule == "choose-role"
    assert identity.acting("auditor") == Actor(id="dr-ames", role=Role.AUDITOR)
    with pytest.raises(DomainError):
        identity.acting("nurse")


def test_a_client_token_carries_the_client_id() -> None:
    identity = hs256().verify(jwt.encode(claims(sub=CLIENT_ID, roles=["client"]), SECRET))
    assert identity.acting(None) == Actor(id=CLIENT_ID, role=Role.CLIENT)


def jwks(*keys: tuple[str, Any, str]) -> str:
    """A JWKS document of the public halves of ``(kid, private key, algorithm)``."""
    found = []
    for kid, key, algorithm in keys:
        public = json.loads(jwt.get_algorithm_by_name(algorithm).to_jwk(key.public_key()))
        found.append(public | {"kid": kid, "alg": algorithm, "use": "sig"})
    return json.dumps({"keys": found})


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
KEYS = (("rsa-1", RSA_KEY, "RS256"), ("ec-1", EC_KEY, "ES256"))


def test_rs256_and_es256_tokens_verify_against_a_jwks_file(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(jwks(*KEYS))
    verifier = TokenVerifier(
        SETTINGS, KeySource(algorithms=("RS256", "ES256"), jwks_file=path), None
    )

    for kid, key, algorithm in KEYS:
        token = jwt.encode(claims(), key, algorithm=algorithm, headers={"kid": kid})
        assert verifier.verify(token).user_id == "dr-lee"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "rsa-1"})
    assert refusal_rule(verifier, forged) == "token-invalid"
    unknown = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-9"})
    assert refusal_rule(verifier, unknown) == "token-kid"
    # With a key set, an HMAC token is refused: a public key is never used as a secret.
    assert refusal_rule(verifier, issue_token(SETTINGS, "x", Role.NURSE)) == "token-algorithm"


def test_a_jwks_configuration_never_accepts_hs256(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(jwks(*KEYS))
    with pytest.raises(ValueError, match="asymmetric"):
        TokenVerifier(SETTINGS, KeySource(algorithms=("HS256", "RS256"), jwks_file=path), SECRET)


@pytest.fixture
def jwks_url() -> Iterator[str]:
    body = jwks(*KEYS).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Keys)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


def test_es256_tokens_verify_against_a_jwks_url(jwks_url: str) -> None:
    verifier = TokenVerifier(SETTINGS, KeySource(algorithms=("ES256",), jwks_url=jwks_url), None)
    token = jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
    assert checked(verifier, token).acting(None) == Actor(id="dr-lee", role=Role.PRESCRIBER)


def test_an_unreachable_jwks_url_is_a_clear_refusal() -> None:
    verifier = TokenVerifier(
        SETTINGS, KeySource(algorithms=("ES256",), jwks_url="http://127.0.0.1:9/jwks"), None
    )
    token = jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
    assert refusal_rule(verifier, token) == "token-keys"


def test_a_token_signed_under_another_folders_key_says_why_and_what_to_do(
    tmp_path: Path,
) -> None:
    """`carecoord token` in one folder, the server started in another: each signs with the
    key under its own .carecoord/, and the token was refused as "Signature verification
    failed", which said nothing of why. The refusal names no key."""
    here, there = (Settings(jwt_secret=None, data_dir=tmp_path / d) for d in ("a", "b"))
    token = issue_token(here, "nurse-kim", Role.NURSE)
    keys = [signing_key(here), signing_key(there)]
    verifier = TokenVerifier(there, KeySource(), keys[1])

    with pytest.raises(Unauthenticated) as refused:
        checked(verifier, token)

    assert (refused.value.code, refused.value.rule) == ("UNAUTHENTICATED", "token-invalid")
    message = refused.value.message
    assert "not signed by this server's key" in message
    assert "`carecoord token` where the server runs" in message
    assert "CARECOORD_JWT_SECRET the same for both" in message
    assert not [key for key in keys if key in message]


class ProviderStub(BaseHTTPRequestHandler):
    """An identity provider's JWKS endpoint serving whatever its server's ``body`` is, and
    counting the fetches; one that holds (its server's ``hold`` set) answers ``hold``'s
    seconds late, then says it has (``answered``)."""

    def do_GET(self) -> None:
        server: Any = self.server
        server.fetches += 1
        if server.hold:
            threading.Event().wait(server.hold)
            server.answered = True
        self.send_response(200)
        self.end_headers()
        self.wfile.write(server.body)

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def provider() -> Iterator[Any]:
    server: Any = HTTPServer(("127.0.0.1", 0), ProviderStub)
    server.body, server.fetches, server.hold, server.answered = jwks(*KEYS).encode(), 0, 0, False
    server.url = f"http://127.0.0.1:{server.server_port}/jwks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def fetched_again(provider: Any, fetches: int) -> None:
    """Wait until the provider has answered ``fetches`` fetches: a set past its lifespan is
    fetched behind the request that found it so."""
    deadline = time.monotonic() + 10
    while provider.fetches < fetches:
        assert time.monotonic() < deadline, f"{provider.fetches} fetches, not {fetches}"
        time.sleep(0.01)


def refused_once_taken_in(verifier: TokenVerifier, token: str) -> str:
    """The rule ``token`` is refused by once the set fetched behind a request is taken in
    (until then the set held answers, and the token verifies)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            checked(verifier, token)
        except Unauthenticated as refused:
            return refused.rule
        assert time.monotonic() < deadline, "the token still verifies"
        time.sleep(0.01)


def test_a_key_the_provider_rotated_out_stops_verifying_once_the_set_is_fetched_again(
    provider: Any,
) -> None:
    """Each key used was kept in a cache that never expired: a key the provider removed
    from its set (rotated out, or revoked as compromised) verified tokens for as long as
    the API ran, and a token verified before verified until its own expiry."""
    lifespan = 0.05
    keys = KeySource(algorithms=("RS256",), jwks_url=provider.url, jwks_cache_seconds=lifespan)
    verifier = TokenVerifier(SETTINGS, keys, None)
    old = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    assert checked(verifier, old).user_id == "dr-lee"
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    provider.body = jwks(("rsa-2", new_key, "RS256")).encode()
    threading.Event().wait(lifespan * 2)  # the set is past its lifespan

    # The request finding the set due is answered from it; the set is fetched behind it.
    assert checked(verifier, old).user_id == "dr-lee"
    assert refused_once_taken_in(verifier, old) == "token-kid"
    again = jwt.encode(claims(jti="again"), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    assert refusal_rule(verifier, again) == "token-kid"
    rotated = jwt.encode(claims(), new_key, algorithm="RS256", headers={"kid": "rsa-2"})
    assert checked(verifier, rotated).user_id == "dr-lee"


def test_unknown_kids_fetch_the_set_again_at_most_once_per_cooldown(provider: Any) -> None:
    verifier = TokenVerifier(
        SETTINGS, KeySource(algorithms=("RS256",), jwks_url=provider.url), None
    )
    for n in range(5):
        unknown = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": f"k{n}"})
        assert refusal_rule(verifier, unknown) == "token-kid"
    assert provider.fetches == 1


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"{" * 10 + b"x" * (1 << 21), "over 1,048,576 bytes"),
        (b"<html>gateway error</html>", "not a JSON Web Key Set"),
        (b'{"keys": []}', "not a JSON Web Key Set"),
    ],
)
def test_a_provider_answering_no_key_set_is_a_clear_refusal(
    provider: Any, body: bytes, said: str
) -> None:
    provider.body = body
    verifier = TokenVerifier(
        SETTINGS, KeySource(algorithms=("RS256",), jwks_url=provider.url), None
    )
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    with pytest.raises(Unauthenticated) as refused:
        checked(verifier, token)
    assert refused.value.rule == "token-keys"
    assert said in refused.value.message


def test_a_set_fetched_once_keeps_serving_while_the_provider_is_down(provider: Any) -> None:
    """The set past its lifespan, the provider down: tokens it signed were all refused at
    once, each request waiting on the fetch, until it was back."""
    lifespan = 0.05
    keys = KeySource(algorithms=("RS256",), jwks_url=provider.url, jwks_cache_seconds=lifespan)
    verifier = TokenVerifier(SETTINGS, keys, None)
    assert checked(
        verifier, jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    )
    provider.body = b"503 Service Unavailable"
    threading.Event().wait(lifespan * 2)

    later = jwt.encode(claims(jti="later"), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    assert checked(verifier, later).user_id == "dr-lee"
    fetched_again(provider, 2)
    assert checked(verifier, later).user_id == "dr-lee"


def test_a_set_past_its_lifespan_is_fetched_behind_the_request(provider: Any) -> None:
    """A request runs on the event loop: waiting on a provider slow to answer, it held
    every request of the process (up to 5 s per fetch while the provider was down). It is
    answered from the set held, before the provider answers (two seconds late, within the
    fetch's five), and the set the provider gave is taken in when it comes."""
    lifespan = 0.05
    keys = KeySource(algorithms=("RS256",), jwks_url=provider.url, jwks_cache_seconds=lifespan)
    verifier = TokenVerifier(SETTINGS, keys, None)
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    assert checked(verifier, token).user_id == "dr-lee"
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    provider.body, provider.hold = jwks(("rsa-2", new_key, "RS256")).encode(), 2
    threading.Event().wait(lifespan * 2)

    assert checked(verifier, token).user_id == "dr-lee"
    assert not provider.answered

    assert refused_once_taken_in(verifier, token) == "token-kid"
    assert provider.answered


def test_a_jwks_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http or https"):
        TokenVerifier(
            SETTINGS, KeySource(algorithms=("RS256",), jwks_url="file:///etc/passwd"), None
        )


def signed_as_written(header: str, payload: str) -> str:
    """An HS256 token of exactly this header and payload text (PyJWT would write each
    member once)."""
    signing = b".".join(base64url_encode(part.encode()) for part in (header, payload))
    signature = hmac.new(SECRET.encode(), signing, hashlib.sha256).digest()
    return (signing + b"." + base64url_encode(signature)).decode()


HEADER = '{"alg":"HS256","typ":"JWT"}'


@pytest.mark.parametrize(
    ("header", "first", "named"),
    [
        (HEADER, '"sub":"nurse-kim",', "claims.sub"),
        (HEADER, '"roles":["nurse"],', "claims.roles"),
        ('{"alg":"none","alg":"HS256"}', "", "header.alg"),
    ],
)
def test_a_token_naming_a_member_twice_is_refused(header: str, first: str, named: str) -> None:
    """PyJWT takes the last of a repeated claim, a gateway or an audit of the provider's
    tokens may take the first: the token acted as dr-lee and was judged as nurse-kim."""
    now = int(datetime.now(UTC).timestamp())
    last = json.dumps(claims(iat=now, exp=now + 300))  # sub dr-lee, roles [prescriber]
    token = signed_as_written(header, "{" + first + last[1:])
    assert jwt.decode(token, SECRET, algorithms=["HS256"], audience=SETTINGS.jwt_audience)

    with pytest.raises(Unauthenticated) as refused:
        hs256().verify(token)

    assert refused.value.rule == "token-repeated-member"
    assert f"names {named} twice" in refused.value.message


@pytest.mark.parametrize(
    "alg", ["\x1b[31mHS256\x1b[0m", "A" * 60_000, ["HS256"], {"name": "HS256"}, None]
)
def test_a_refused_algorithm_is_quoted_only_as_a_short_name(alg: object) -> None:
    """The header is the sender's to write: an alg of terminal escapes or of 60 kB went back
    whole in the refusal, and a list as Python prints one."""
    token = signed_as_written(json.dumps({"alg": alg}), json.dumps({"sub": "dr-lee"}))

    with pytest.raises(Unauthenticated) as refused:
        hs256().verify(token)

    assert refused.value.rule == "token-algorithm"
    assert refused.value.message == (
        "tokens signed with the algorithm (not quoted: no printable text of 1 to 64"
        " characters) are not accepted here; accepted: HS256"
    )


def test_a_short_algorithm_or_key_name_is_quoted(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(jwks(*KEYS))
    verifier = TokenVerifier(SETTINGS, KeySource(algorithms=("RS256",), jwks_file=path), None)
    unknown = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-9"})
    wrong = signed_as_written('{"alg":"none"}', '{"sub":"dr-lee"}')

    with pytest.raises(Unauthenticated) as no_key:
        checked(verifier, unknown)
    with pytest.raises(Unauthenticated) as no_alg:
        checked(verifier, wrong)

    assert no_key.value.message == "the issuer's key set holds no key 'rsa-9'"
    assert no_alg.value.message.startswith("tokens signed with the algorithm 'none' are not")


class Redirecting(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.server.target)  # type: ignore[attr-defined]
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


def test_a_jwks_url_that_redirects_is_not_followed(provider: Any) -> None:
    """A redirect (from https to http, or to another host) would hand over the keys every
    token is checked with; PyJWT's client refused it, and so does the fetch that took its
    place."""
    server: Any = HTTPServer(("127.0.0.1", 0), Redirecting)
    server.target = provider.url
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/jwks"
        verifier = TokenVerifier(SETTINGS, KeySource(algorithms=("RS256",), jwks_url=url), None)
        token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
        with pytest.raises(Unauthenticated) as refused:
            checked(verifier, token)
    finally:
        server.shutdown()

    assert refused.value.rule == "token-keys"
    assert "302" in refused.value.message
    assert provider.fetches == 0


@pytest.mark.parametrize("source", ["file", "url"])
def test_a_key_published_for_encryption_verifies_no_token(
    source: str, provider: Any, tmp_path: Path
) -> None:
    """A provider's set may hold its encryption keys beside its signing keys; one named by
    a token's kid checked its signature (PyJWT's client, before, kept to signing keys)."""
    public = json.loads(jwks(("rsa-1", RSA_KEY, "RS256")))["keys"][0] | {"use": "enc"}
    body = json.dumps({"keys": [public]})
    path = tmp_path / "jwks.json"
    path.write_text(body)
    provider.body = body.encode()
    keys = (
        KeySource(algorithms=("RS256",), jwks_file=path)
        if source == "file"
        else KeySource(algorithms=("RS256",), jwks_url=provider.url)
    )
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})

    assert refusal_rule(TokenVerifier(SETTINGS, keys, None), token) == "token-kid"
