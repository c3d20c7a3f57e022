"""The access components one platform shares: the token verifier and the access-log writer.

They belong in the composition root beside the store and the bus; until ``bootstrap`` builds
them, ``gatekeeper(platform)`` attaches them on first use. The writer's task joins
``platform.tasks``, so the platform's shutdown stops it before the pool closes.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass

from carecoord.services.access_log import AccessLog
from carecoord.services.bootstrap import Platform
from carecoord.services.identity import KeySource, TokenVerifier

_ATTACHED: dict[int, Gatekeeper] = {}


@dataclass(frozen=True, slots=True)
class Gatekeeper:
    verifier: TokenVerifier
    access_log: AccessLog


def gatekeeper(platform: Platform) -> Gatekeeper:
    found = _ATTACHED.get(id(platform))
    if found is None:
        keys = KeySource()
        secret = None if keys.jwks_file or keys.jwks_url else platform.jwt_key
        found = Gatekeeper(TokenVerifier(platform.settings, keys, secret), AccessLog(platform.pool))
        _ATTACHED[id(platform)] = found
        weakref.finalize(platform, _ATTACHED.pop, id(platform), None)
        platform.tasks.append(asyncio.create_task(found.access_log.run(), name="access-log"))
    return found
