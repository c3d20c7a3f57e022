"""Who reads ``/health`` in full.

A supervisor (a compose healthcheck, a Kubernetes probe, an uptime monitor) needs the status
and the HTTP code, and an operator the codes to start from: that much is anyone's who
reaches the port. Positions, lag per follower, loops, errors and pool use map the platform
for an outsider, so the full body is a signed-in reader's (as ``platformStatus``) or the
holder of ``CARECOORD_OPS_TOKEN``'s (a metrics scraper, a dashboard with no user).
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

from carecoord.graphql.context import RequestContext
from carecoord.services.infrastructure.heartbeats import SILENT
from carecoord.services.infrastructure.identity import bearer
from carecoord.services.platform import Platform

CODES = (
    ("unreachable", "DATABASE_UNREACHABLE"),
    ("busy", "DATABASE_BUSY"),
    ("stuckLoops", "LOOP_STUCK"),
    ("silent", SILENT),
    ("pastHead", "POSITION_PAST_HEAD"),
    ("outdatedModels", "MODEL_OUTDATED"),
)
SET_ASIDE = "EVENTS_SET_ASIDE"


def codes(body: dict[str, object]) -> list[str]:
    """Why ``body`` is not ``ok``, a code for each kind of trouble it holds."""
    found = [code for key, code in CODES if body.get(key)]
    followers = body.get("followers")
    if isinstance(followers, dict) and any(f["parked"] for f in followers.values()):
        found.append(SET_ASIDE)
    return found


def brief(body: dict[str, object]) -> dict[str, object]:
    """What anyone reaching the port is told: the status and its codes."""
    return {"status": body["status"], "codes": codes(body)}


async def in_full(platform: Platform, request: Request) -> bool:
    """Whether the caller reads the full body: the ops token, or a signed-in reader's token.
    None sent: no. A token that is neither is refused, as the API refuses it
    (``DomainError``): a scraper with a stale token is told so, where it would read a status
    alone and no longer chart what it charted. Whether the reader was suspended is not
    asked: that is the database's to say, and ``/health`` answers whatever it does."""
    token = bearer(request.headers.get("authorization"))
    if token is None:
        return False
    ops = platform.settings.ops_token
    if ops is not None and hmac.compare_digest(token.encode(), ops.encode()):
        return True
    context = RequestContext(platform, request, None)
    await context.prepare()
    context.reader()
    return True
