"""The identity provider's signing keys from its JWKS URL, fetched again as they age.

The whole set is what is kept, never a key on its own: a key the provider has taken out of
its set (rotated out, or revoked as compromised) stops verifying once the set is fetched
again. PyJWKClient, as it was used, kept each key it had used in a cache that never
expired, so such a key verified tokens for as long as the process ran.

Every fetch runs on a thread of its own: a request runs on the event loop, and a provider
slow to answer, fetched on it, held every request of the process while it waited. A set
past its lifespan is fetched behind the request that found it due, which is answered from
the set held. The first fetch, with no set to answer from, and one for a ``kid`` the set
lacks (a key the provider has just begun to sign with) are awaited by the request that
needs them (``ready``), while the loop serves the others. Every fetch is bounded: it
follows no redirect, waits at most ``FETCH_WAIT`` for the whole body, reads at most
``JWKS_LARGEST`` bytes, and is tried at most once per cooldown, for an unknown ``kid`` as
after a failure. A set that cannot be fetched again keeps serving for ``STALE_MAX`` after
it was last fetched: tokens the provider signed do not all fail together while it is
briefly down.
"""

from __future__ import annotations

import asyncio
import http.client
import threading
import time
import urllib.request
from concurrent.futures import Future
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
        self._fetching: Future[None] | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The key ``kid`` names in the set held, never waiting on a fetch (``ready`` fetches
        what is lacking); None when it holds none. A set past its lifespan is fetched again
        behind the caller."""
        with self._lock:
            if self._keys is not None and not self.fresh():
                self._fetch_behind(time.monotonic())
            return self._held(kid)

    async def ready(self, kid: str) -> None:
        """Wait for what ``key(kid)`` lacks, fetched on a thread: the first set, or the set
        again for a ``kid`` it does not hold, at most once per cooldown (a fetch already
        running is joined)."""
        with self._lock:
            if self._keys is not None and key_for_signatures(self._keys, kid) is not None:
                return
            fetching = self._fetch_behind(time.monotonic())
        if fetching is not None:
            await asyncio.wrap_future(fetching)

    def fresh(self) -> bool:
        """Whether the set held is within its lifespan: a token checked against one past it
        is checked again once the set fetched behind it is in."""
        return time.monotonic() - self._fetched < self._lifespan

    def _held(self, kid: str) -> jwt.PyJWK | None:
        """The key ``kid`` names in the set held; KeysUnreachable, saying why, with none."""
        if self._keys is None:
            raise KeysUnreachable(self._failure)
        return key_for_signatures(self._keys, kid)

    def _fetch_behind(self, now: float) -> Future[None] | None:
        """A fetch on a thread of its own, unless one was tried within the cooldown; the
        fetch running, if one is (held under the lock)."""
        if now - self._tried >= self._cooldown:
            self._tried = now
            self._fetching = Future()
            threading.Thread(target=self._fetch, args=(now, self._fetching), daemon=True).start()
        return self._fetching

    def _fetch(self, now: float, done: Future[None]) -> None:
        try:
            found = self._fetched_set()  # outside the lock: requests go on meanwhile
            with self._lock:
                self._take(now, found)
                if self._fetching is done:
                    self._fetching = None
        finally:
            done.set_result(None)

    def _fetched_set(self) -> jwt.PyJWKSet | str:
        """The set at the URL, or why there is none."""
        try:
            return jwt.PyJWKSet.from_json(fetched(self._url))
        except KeysUnreachable as failed:
            return str(failed)
        except (ValueError, jwt.PyJWTError) as wrong:  # not JSON, or no usable key in it
            return f"not a JSON Web Key Set ({type(wrong).__name__}: {wrong})"[:300]

    def _take(self, now: float, found: jwt.PyJWKSet | str) -> None:
        if isinstance(found, str):
            self._failed(now, found)
        else:
            self._keys, self._fetched = found, time.monotonic()

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
