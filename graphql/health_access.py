"""Who reads ``/health`` in full, and who scrapes ``/metrics``.

A supervisor (a compose healthcheck, a Kubernetes probe, an uptime monitor) needs the status
and the HTTP code, and an operator the codes to start from: that much is anyone's who
reaches the port. Positions, lag per follower, loops, errors and pool use map the platform
for an outsider, so the full body is a signed-in reader's (as ``platformStatus``) or the
holder of ``CARECOORD_OPS_TOKEN``'s (a metrics scraper, a dashboard with no user).
``/metrics`` says as much and more (commands and refusals by rule, request rates), and only a
scraper reads it: once ``CARECOORD_OPS_TOKEN`` is set, it is that token's holder's alone.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

from carecoord.graphql.context import RequestContext
from carecoord.services.infrastructure.heartbeats import SILENT
from carecoord.services.infrastructure.identity import bearer
from carecoord.services.kernel.errors import Unauthenticated
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
    if _is_ops(platform, token):
        return True
    context = RequestContext(platform, request, None)
    await context.prepare()
    context.reader()
    return True


def may_scrape(platform: Platform, request: Request) -> None:
    """Refuse a ``/metrics`` scrape without ``CARECOORD_OPS_TOKEN`` once one is set (a
    Prometheus scrape config sends it as ``authorization: {credentials: ...}``); without
    one set, anyone reaching the port scrapes, as before the token existed."""
    if platform.settings.ops_token is None:
        return
    token = bearer(request.headers.get("authorization"))
    if token is None or not _is_ops(platform, token):
        raise Unauthenticated(
            "authorization", "ops-token-required", "send CARECOORD_OPS_TOKEN as a bearer token"
        )


def _is_ops(platform: Platform, token: str) -> bool:
    ops = platform.settings.ops_token
    return ops is not None and hmac.compare_digest(token.encode(), ops.encode())
