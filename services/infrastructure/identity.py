"""Who is asking: bearer tokens (JWT) verified against the configured issuer and keys.

Development signs and verifies HS256 with ``CARECOORD_JWT_SECRET`` (or a key generated once
under the data directory). Deployments verify tokens from their identity provider with its
public keys: ``CARECOORD_JWT_JWKS_FILE`` or ``CARECOORD_JWT_JWKS_URL`` with
``CARECOORD_JWT_ALGORITHMS`` (RS256, ES256, ...). A verifier never mixes the two: with a key
set configured, HS256 tokens are refused, so a public key can never be used as an HMAC secret.

A token carries the user id (``sub``) and their roles (``roles``, or a single ``role``). A
client's own token has their client id as ``sub``. Every refusal is ``Unauthenticated``
(``extensions.code`` UNAUTHENTICATED) with a message saying what was wrong.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from uuid import UUID

import jwt
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from carecoord.events import Actor, Role
from carecoord.events.envelope import ACTOR_ID_MAX
from carecoord.services.infrastructure.provider_keys import (
    JWKS_LARGEST,
    KeysUnreachable,
    ProviderKeys,
    key_for_signatures,
)
from carecoord.services.infrastructure.repeated_claims import repeated_member
from carecoord.services.infrastructure.settings import HS256_KEY_BYTES, Settings
from carecoord.services.kernel.errors import Forbidden, Unauthenticated
from carecoord.services.kernel.platform_ids import reserved
from carecoord.services.kernel.user_ids import mistakable

ALGORITHM = "HS256"
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"})
LEEWAY = timedelta(seconds=30)
# Verified tokens remembered (until they expire, or their key set is fetched again): a
# client sends the same token all day.
VERIFIED_MAX = 10_000
ROLE_HEADER = "x-carecoord-role"
HEADER_QUOTED_MAX = 64
_ROLE_NAMES = tuple(role.value for role in Role)
"""A role claim's names as written (a tuple: a claim may hold a list, which no set takes)."""
"""The longest ``alg``, ``kid`` or role a refusal quotes."""
PROGRAM_MAX = 200
"""The longest program claim: an enrolment's program is at most this long (events/care.py)."""


class KeySource(BaseSettings):
    """Where verification keys come from (the ``CARECOORD_JWT_*`` environment)."""

    model_config = SettingsConfigDict(env_prefix="CARECOORD_JWT_", env_file=".env", extra="ignore")

    algorithms: tuple[str, ...] = (ALGORITHM,)
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jwks_cache_seconds: float = 300.0
    """How long a key set fetched from ``jwks_url`` is used before it is fetched again."""


class TokenKeysUnusable(ValueError):
    """No key to sign development tokens with, or to check tokens with (a secret missing in
    production, a damaged development key, a key set that cannot be read); the message names
    the setting or file to mend (the command line says it in a line, exit 2: it was a
    traceback)."""


def key_source() -> KeySource:
    """The ``CARECOORD_JWT_*`` settings; one that cannot be read is named with what is
    wrong, never quoted (the command line says it in a line, exit 2: it was a traceback)."""
    try:
        return KeySource()
    except ValidationError as wrong:
        raise TokenKeysUnusable(
            "; ".join(
                f"CARECOORD_JWT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                for e in wrong.errors()
            )
        ) from None
    except SettingsError as wrong:  # a list or tuple setting that is no JSON
        field = re.search(r'field "(\w+)"', str(wrong))
        name = field.group(1).upper() if field else "ALGORITHMS"
        raise TokenKeysUnusable(
            f'CARECOORD_JWT_{name}: not a JSON list; write it as ["RS256", "ES256"]'
        ) from None


def signing_key(settings: Settings) -> str:
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.environment == "production":
        raise TokenKeysUnusable(
            "CARECOORD_JWT_SECRET: must be set in production (or CARECOORD_JWT_JWKS_FILE or"
            " CARECOORD_JWT_JWKS_URL, for the API to check its identity provider's tokens)"
        )
    path: Path = settings.data_dir / "jwt.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _made_once(path, secrets.token_urlsafe(48))
    try:
        key = path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        key = ""
    size = len(key.encode())
    if size < HS256_KEY_BYTES:  # empty: the library's traceback; short (cut): its warning
        what = "empty or not text" if not key else f"{size} bytes, under the 32 HS256 needs"
        raise TokenKeysUnusable(
            f"{path}: the development signing key is {what}; remove it and a new"
            " one is made (the tokens signed with it stop working)"
        )
    return key


def _made_once(path: Path, key: str) -> None:
    """Write ``key`` beside ``path``, readable by its owner alone from its first byte, and
    give it the name only if no other process has yet (a hard link fails on a name taken).
    Two commands started at once each wrote a key over the other's, so the tokens the first
    signed were refused; and the key was readable by anyone (the umask's 0644) until its
    chmod, for good when the process stopped in between."""
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(key)
            file.flush()
            os.fsync(fd)
        with contextlib.suppress(FileExistsError):
            os.link(partial, path)
    finally:
        os.unlink(partial)


def issue_token(
    settings: Settings,
    user_id: str,
    role: Role,
    *more_roles: Role,
    lifetime: timedelta = timedelta(hours=12),
    program: str | None = None,
) -> str:
    """A development token (HS256), as the embedded default's identity provider; a role
    given twice is in it once, as the API reads it (``identity_of``)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": user_id,
        "roles": [r.value for r in dict.fromkeys((role, *more_roles))],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + lifetime,
    }
    if program is not None:
        claims["program"] = program
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified token: the user and every role they hold."""

    user_id: str
    roles: tuple[Role, ...]
    program: str | None = None
    """The one program a program admin manages, and whose site's stock anyone holding the
    token keeps (the ``program`` claim); None: every program."""
    issued_at: int | None = None
    """When the token was issued (its ``iat``, seconds), None when it does not say: a token
    issued before its user's access was last reinstated is refused (``token-revoked``)."""

    def acting(self, requested: str | None) -> Actor:
        """The actor for this request: the only role, or the one the request names."""
        if requested:
            try:
                role = Role(requested)
            except ValueError:
                known = ", ".join(r.value for r in self.roles)
                raise Forbidden(
                    "role", "known-role", f"unknown role {quoted(requested)}; yours: {known}"
                ) from None
            if role not in self.roles:
                raise Forbidden(
                    "role", "role-in-token", f"your token does not carry the role {role.value}"
                )
            return Actor(id=self.user_id, role=role)
        if len(self.roles) > 1:
            held = ", ".join(r.value for r in self.roles)
            raise Forbidden(
                "role", "choose-role", f"your token carries {held}: name one in {ROLE_HEADER}"
            )
        return Actor(id=self.user_id, role=self.roles[0])


def key_set(path: Path) -> jwt.PyJWKSet:
    """The identity provider's keys from ``CARECOORD_JWT_JWKS_FILE``, read up to
    ``JWKS_LARGEST`` bytes; a file that is not there, not text or no key set is named."""
    try:
        with path.open("rb") as file:
            raw = file.read(JWKS_LARGEST + 1)
    except OSError as unreadable:
        raise TokenKeysUnusable(f"CARECOORD_JWT_JWKS_FILE: {path}: {unreadable.strerror}") from None
    if len(raw) > JWKS_LARGEST:
        raise TokenKeysUnusable(f"CARECOORD_JWT_JWKS_FILE: {path}: over {JWKS_LARGEST:,} bytes")
    try:
        return jwt.PyJWKSet.from_json(raw.decode("utf-8"))
    except (ValueError, jwt.PyJWTError) as wrong:  # not text, not JSON, no usable key
        raise TokenKeysUnusable(
            f"CARECOORD_JWT_JWKS_FILE: {path}: not a JSON Web Key Set ({type(wrong).__name__}:"
            f" {str(wrong)[:200]})"
        ) from None


class TokenVerifier:
    """Verifies tokens against an HS256 secret, or a JWKS file or URL (never both)."""

    def __init__(self, settings: Settings, keys: KeySource, secret: str | None) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._algorithms = list(keys.algorithms)
        self._secret = secret
        self._jwk_set: jwt.PyJWKSet | None = None
        self._provider: ProviderKeys | None = None
        self._verified: dict[str, tuple[Identity, float, float]] = {}
        self._recheck = float("inf")
        """Seconds a verified token is taken without checking it again: a URL's key set's
        lifespan, so a token signed with a key the provider has removed since is refused
        once the set is fetched again, not at its own expiry hours later."""
        if keys.jwks_file or keys.jwks_url:
            provider_audience(settings)
            weak = set(self._algorithms) - ASYMMETRIC
            if weak:
                raise TokenKeysUnusable(
                    "CARECOORD_JWT_ALGORITHMS: with a JWKS only asymmetric algorithms are"
                    f" allowed, not {sorted(weak)}"
                )
            if keys.jwks_file:
                self._jwk_set = key_set(keys.jwks_file)
            else:
                assert keys.jwks_url is not None
                self._provider = provider_keys(keys)
                self._recheck = keys.jwks_cache_seconds
        elif secret is None or self._algorithms != [ALGORITHM]:
            raise TokenKeysUnusable(
                "CARECOORD_JWT_ALGORITHMS: without a JWKS, tokens are HS256 with"
                " CARECOORD_JWT_SECRET"
            )

    @property
    def fetches_keys(self) -> bool:
        """Whether tokens are checked against a JWKS URL's keys, which ``prepare`` fetches."""
        return self._provider is not None

    async def prepare(self, token: str) -> None:
        """Fetch the keys of a JWKS URL that ``token``'s ``kid`` needs and the set held lacks,
        off the event loop, before ``verify`` checks it on the loop from the keys held."""
        if self._provider is None:
            return
        known = self._verified.get(token)
        if known is not None and time.time() < known[2]:
            return
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return  # refused as ``verify`` reads it
        kid = header.get("kid")
        if header.get("alg") in self._algorithms and isinstance(kid, str) and kid:
            await self._provider.ready(kid)

    def verify(self, token: str) -> Identity:
        """The token's identity; a signature is checked once, expiry on every use."""
        return self.verified(token)[0]

    def verified(self, token: str) -> tuple[Identity, float]:
        """The token's identity and the time (``time.time()``) from which it is refused as
        expired, its leeway counted: a websocket is closed then."""
        known = self._verified.get(token)
        now = time.time()
        if known is not None and now < min(known[1], known[2]):
            return known[0], known[1]
        identity, expires = self._check(token)
        if len(self._verified) >= VERIFIED_MAX:
            self._verified.clear()
        # Checked against a set past its lifespan (fetched again behind this request), it
        # is checked again at its next use, against the set then held.
        stale = self._provider is not None and not self._provider.fresh()
        self._verified[token] = (identity, expires, now if stale else now + self._recheck)
        return identity, expires

    def _check(self, token: str) -> tuple[Identity, float]:
        repeated = repeated_member(token)
        if repeated is not None:
            raise _refused("token-repeated-member", f"the token names {repeated} twice")
        try:
            header = jwt.get_unverified_header(token)
            algorithm = header.get("alg")
            if algorithm not in self._algorithms:
                raise _refused(
                    "token-algorithm",
                    f"tokens signed with the algorithm {quoted(algorithm)} are not"
                    " accepted here; "
                    f"accepted: {', '.join(self._algorithms)}",
                )
            claims = jwt.decode(
                token,
                self._key(header),
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=LEEWAY,
                options={"require": ["sub", "exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise _refused("token-expired", "the token has expired; sign in again") from None
        except KeysUnreachable as unreachable:
            raise _refused("token-keys", f"cannot get the issuer's keys: {unreachable}") from None
        except jwt.InvalidSignatureError:  # the library's "Signature verification failed"
            raise _refused("token-invalid", self._unsigned()) from None
        except jwt.InvalidTokenError as invalid:
            raise _refused("token-invalid", f"invalid token: {invalid}") from None
        try:
            expires = float(claims["exp"]) + LEEWAY.total_seconds()
        except OverflowError:
            raise _refused("token-invalid", "invalid token: exp is past any date") from None
        return identity_of(claims), expires

    def _unsigned(self) -> str:
        """Why a token's signature does not verify, and what to do: said with no key."""
        if self._secret is None:
            return (
                "invalid token: not signed by the issuer's key its kid names; get a new one"
                " from the identity provider whose keys the API checks"
            )
        return (
            "invalid token: not signed by this server's key; issue it with `carecoord token`"
            " where the server runs (the same data directory), or set CARECOORD_JWT_SECRET"
            " the same for both"
        )

    def _key(self, header: dict[str, Any]) -> Any:
        if self._provider is None and self._jwk_set is None:
            return self._secret
        kid = header.get("kid")
        if not kid:
            raise _refused("token-kid", "the token names no key (kid)")
        if self._provider is not None:
            key = self._provider.key(str(kid))
        else:
            assert self._jwk_set is not None
            key = key_for_signatures(self._jwk_set, str(kid))
        if key is None:
            raise _refused("token-kid", f"the issuer's key set holds no key {quoted(kid)}")
        return key


def provider_audience(settings: Settings) -> None:
    """In production, an identity provider's tokens are taken only for an audience the
    deployment names: under the default, every deployment its provider serves (another
    program's, a test one) took the tokens it gave the others."""
    if settings.environment == "production" and "jwt_audience" not in settings.model_fields_set:
        raise TokenKeysUnusable(
            "CARECOORD_JWT_AUDIENCE: must be set in production with an identity provider's"
            " keys: the aud its tokens name for this API alone (under the default,"
            f" {settings.jwt_audience}, it took tokens given to any deployment of the provider)"
        )


def provider_keys(keys: KeySource) -> ProviderKeys:
    """The key set at ``CARECOORD_JWT_JWKS_URL``, an http(s) URL, kept for
    ``CARECOORD_JWT_JWKS_CACHE_SECONDS``."""
    assert keys.jwks_url is not None
    if urlparse(keys.jwks_url).scheme.lower() not in ("http", "https"):
        raise TokenKeysUnusable("CARECOORD_JWT_JWKS_URL: must be an http or https URL")
    if not 0 < keys.jwks_cache_seconds < float("inf"):
        raise TokenKeysUnusable("CARECOORD_JWT_JWKS_CACHE_SECONDS: must be a positive number")
    return ProviderKeys(keys.jwks_url, keys.jwks_cache_seconds)


def identity_of(claims: dict[str, Any]) -> Identity:
    raw = claims["roles"] if "roles" in claims else claims.get("role", [])
    # A token naming its roles in both claims, differently, is read one way here and maybe
    # the other by whatever else judges it (a gateway, an audit of the provider's tokens).
    if "roles" in claims and "role" in claims and _listed(claims["role"]) != _listed(raw):
        raise _refused("token-role", "the token names roles in both roles and role, differently")
    names: Sequence[Any] = [raw] if isinstance(raw, str) else raw
    # JSON null, a number or an object is no list of roles (an object's keys are not).
    if not isinstance(names, list):
        raise _refused("token-role", "roles must be a role or a list of roles")
    unknown = [name for name in names if name not in _ROLE_NAMES]
    if unknown:  # quoted as a header's: a list of 30 kB was answered whole
        raise _refused("token-role", f"unknown role in token: {quoted(unknown[0])}")
    roles = tuple(dict.fromkeys(map(Role, names)))
    if not roles:
        raise _refused("token-role", "the token carries no role")
    if Role.SYSTEM in roles:  # the platform's own components, which record without standing
        raise _refused("token-role", "system is the platform's own role; no token carries it")
    subject = str(claims["sub"]).strip()
    # The subject is every entry's actor id: a NUL or control character in it would fail
    # the access log's batch, and with it the reads of everyone else in that batch.
    if not subject or len(subject) > ACTOR_ID_MAX or not subject.isprintable():
        raise _refused(
            "token-subject", f"sub must be printable text of 1 to {ACTOR_ID_MAX} characters"
        )
    # Every record the request writes names the subject: one that reads as another user's
    # id (a Cyrillic letter among Latin ones), or as the platform's own, would sign as
    # someone it is not.
    own = reserved(subject)
    if own is not None:
        raise _refused("token-subject-reserved", f"sub {own}")
    lookalike = mistakable(subject)
    if lookalike is not None:
        raise _refused("token-subject-lookalike", f"sub {lookalike}")
    if Role.CLIENT in roles:
        client = client_subject(subject)
        if client is None:
            raise _refused("token-subject", "a client's token has their client id as sub")
        subject = client
    program = claims.get("program")
    # A null claim is no program named, not every program: an identity provider writes one
    # for an admin whose attribute it lacks, who then managed every program.
    if "program" in claims and not names_a_program(program):
        raise _refused(
            "token-program",
            f"the program claim must name a program: printable text of 1 to {PROGRAM_MAX}"
            " characters",
        )
    issued = claims.get("iat")  # a number once the library has checked it
    return Identity(
        subject,
        roles,
        program.strip() if program else None,
        None if issued is None else int(issued),
    )


def quoted(value: object) -> str:
    """A token header's ``alg`` or ``kid``, or the role a request names, as a refusal quotes
    it: short printable text as it is, anything else not. The refusal goes back to the
    client whole, and the value is the sender's to write: an ``alg`` of terminal escapes,
    or a role of 30 kB, was quoted whole, and a list as Python prints one."""
    if isinstance(value, str) and 0 < len(value) <= HEADER_QUOTED_MAX and value.isprintable():
        return repr(value)
    return f"(not quoted: no printable text of 1 to {HEADER_QUOTED_MAX} characters)"


def _listed(roles: object) -> object:
    """A roles claim as the set of names it lists (a single name as one), to compare."""
    if isinstance(roles, str):
        return frozenset({roles})
    return frozenset(map(str, roles)) if isinstance(roles, list) else roles


def names_a_program(program: object) -> bool:
    """A program's name as an enrolment holds one: every refusal about it (another
    program's client, another site) quotes a token's claim, and ``audit export`` its
    ``--program``, so one of a million characters or with a terminal's escapes went whole
    into each answer."""
    if not isinstance(program, str):
        return False
    name = program.strip()
    return 0 < len(name) <= PROGRAM_MAX and name.isprintable()


def client_subject(subject: str) -> str | None:
    """A client's user id as every record names them: their client id written one way
    (capitals, braces or no hyphens read as the same client); None when it is no client id."""
    try:
        return str(UUID(subject))
    except ValueError:
        return None


def _refused(rule: str, message: str) -> Unauthenticated:
    return Unauthenticated("authorization", rule, message)


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "authorization", "bearer-scheme", "use 'Authorization: Bearer <token>'"
        )
    return token.strip()
