"""The identity provider's signing keys from its JWKS URL, fetched again as they age.

The whole set is what is kept, never a key on its own: a key the provider has taken out of
its set (rotated out, or revoked as compromised) stops verifying once the set is fetched
again. PyJWKClient, as it was used, kept each key it had used in a cache that never
expired, so such a key verified tokens for as long as the process ran.

A fetch runs on the caller's thread (the request's), so it is bounded: it follows no
redirect, waits at most ``FETCH_WAIT`` for the whole body, reads at most ``JWKS_LARGEST``
bytes, and is tried at most once per cooldown, for an unknown ``kid`` as after a failure (a
provider that does not answer held every request for 30 s while it was down). A set that
cannot be fetched again keeps serving for ``STALE_MAX`` after it was last fetched: tokens the
provider signed do not all fail together while it is briefly down.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.request
from urllib.error import URLError

import jwt

FETCH_WAIT = 5.0
"""Seconds a fetch may take, the body included."""
COOLDOWN = 30.0
"""Seconds at least between fetches (or the set's lifespan, when shorter)."""
STALE_MAX = 3600.0
"""Seconds a set fetched once keeps serving while the provider cannot be reached."""
JWKS_LARGEST = 1 << 20
"""The most bytes of a key set read (a key set is a few kilobytes)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed fetch, as PyJWT's client has it: one from https to http
    would hand the keys, and so every token, to whoever is on the path."""

    def redirect_request(self, *_: object, **__: object) -> None:
        return None


class KeysUnreachable(Exception):
    """No key set to check a token against: the fetch failed (the message says how)."""


class ProviderKeys:
    """The key set at a JWKS URL, kept ``lifespan`` seconds between fetches."""

    def __init__(self, url: str, lifespan: float) -> None:
        self._url = url
        self._lifespan = lifespan
        self._cooldown = min(COOLDOWN, lifespan)
        self._keys: jwt.PyJWKSet | None = None
        self._fetched = float("-inf")
        self._tried = float("-inf")
        self._failure = "not fetched yet"
        self._lock = threading.Lock()

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The key ``kid`` names in the provider's current set; None when the set holds
        none (fetched again first, unless fetched within the cooldown)."""
        with self._lock:
            now = time.monotonic()
            if now - self._fetched >= self._lifespan:
                self._refresh(now)
            found = self._find(kid)
            if found is None and self._keys is not None:
                self._refresh(now)
                found = self._find(kid)
            if self._keys is None:
                raise KeysUnreachable(self._failure)
            return found

    def _find(self, kid: str) -> jwt.PyJWK | None:
        return None if self._keys is None else key_for_signatures(self._keys, kid)

    def _refresh(self, now: float) -> None:
        if now - self._tried < self._cooldown:
            return
        self._tried = now
        try:
            self._keys = jwt.PyJWKSet.from_json(fetched(self._url))
            self._fetched = time.monotonic()
        except KeysUnreachable as failed:
            self._failed(now, str(failed))
        except (ValueError, jwt.PyJWTError) as wrong:  # not JSON, or no usable key in it
            self._failed(now, f"not a JSON Web Key Set ({type(wrong).__name__}: {wrong})"[:300])

    def _failed(self, now: float, why: str) -> None:
        self._failure = why
        if now - self._fetched >= STALE_MAX:
            self._keys = None


def key_for_signatures(keys: jwt.PyJWKSet, kid: str) -> jwt.PyJWK | None:
    """The key ``kid`` names, if it is one to check signatures with: a key the provider
    publishes for another use (``"use": "enc"``) is not, as PyJWT's client had it."""
    return next(
        (k for k in keys.keys if k.key_id == kid and k.public_key_use in ("sig", None)), None
    )


def fetched(url: str) -> str:
    """The text at ``url``, or KeysUnreachable saying why (cut to what a refusal quotes)."""
    deadline = time.monotonic() + FETCH_WAIT
    body = bytearray()
    try:
        # http(s) only: the URL is checked as the verifier is made (identity.provider_keys)
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        opener = urllib.request.build_opener(_NoRedirects())
        with opener.open(request, timeout=FETCH_WAIT) as response:
            while chunk := response.read1(1 << 16):
                body += chunk
                if len(body) > JWKS_LARGEST:
                    raise KeysUnreachable(f"the key set is over {JWKS_LARGEST:,} bytes")
                if time.monotonic() > deadline:
                    raise KeysUnreachable(f"the key set took over {FETCH_WAIT:g} s to fetch")
        return body.decode("utf-8")
    except (URLError, OSError, http.client.HTTPException) as failed:  # no HTTP answer
        raise KeysUnreachable(f"cannot fetch the key set: {str(failed)[:200]}") from None
    except UnicodeDecodeError:
        raise KeysUnreachable("the key set is not UTF-8 text") from None
