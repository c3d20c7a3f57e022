"""Who is asking: bearer tokens (JWT) verified against the configured issuer and key.

Development uses HS256 with a key generated once under the data directory; deployments
set ``CARECOORD_JWT_SECRET`` (RS256/ES256 with a JWKS comes with the access-control work).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from carecoord.events import Actor, Role
from carecoord.services.errors import Unauthenticated
from carecoord.services.settings import Settings

ALGORITHM = "HS256"


def signing_key(settings: Settings) -> str:
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.environment == "production":
        raise RuntimeError("CARECOORD_JWT_SECRET must be set in production")
    path: Path = settings.data_dir / "jwt.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def issue_token(
    settings: Settings, user_id: str, role: Role, *, lifetime: timedelta = timedelta(hours=12)
) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": user_id,
        "role": role.value,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, signing_key(settings), algorithm=ALGORITHM)


def verify_token(settings: Settings, key: str, token: str) -> Actor:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("authorization", "token-expired", "the token has expired") from None
    except jwt.InvalidTokenError as invalid:
        raise Unauthenticated(
            "authorization", "token-invalid", f"invalid token: {invalid}"
        ) from None
    try:
        return Actor(id=str(claims["sub"]), role=Role(claims.get("role", "")))
    except ValueError:
        raise Unauthenticated(
            "authorization", "token-role", f"unknown role {claims.get('role')!r} in token"
        ) from None


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "authorization", "bearer-scheme", "use 'Authorization: Bearer <token>'"
        )
    return token.strip()
