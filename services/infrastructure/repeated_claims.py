"""A token's header or claims naming one member twice, which readers take differently.

JSON leaves a repeated name's meaning open (RFC 8259: "the names within an object SHOULD be
unique"), and RFC 7519 says a token with one MUST be rejected or take the last: PyJWT takes
the last, while a gateway, a WAF or an audit of the provider's tokens may take the first. A
token with ``"sub": "nurse-kim", ..., "sub": "dr-lee"`` acted as dr-lee here and was logged
as nurse-kim there.
"""

from __future__ import annotations

import binascii
import json

from jwt.utils import base64url_decode


class _Repeated(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for name, value in pairs:
        if name in seen:
            raise _Repeated(name)
        seen[name] = value
    return seen


def repeated_member(token: str) -> str | None:
    """``header.<name>`` or ``claims.<name>`` for the first member a token's header or
    claims (at any depth) name twice; None when none is, or when a part is no JSON (the
    token's verification says so)."""
    for part, segment in zip(("header", "claims"), token.split(".")[:2], strict=False):
        try:
            json.loads(base64url_decode(segment), object_pairs_hook=_unique)
        except _Repeated as repeated:
            return f"{part}.{repeated.name[:100]}"
        except (ValueError, binascii.Error, RecursionError):
            return None
    return None
