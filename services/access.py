"""Who may record what: the command side of the access policy, as data."""

from __future__ import annotations

from carecoord.events import Actor, Role
from carecoord.services.errors import Forbidden, Unauthenticated

MAY_RECORD: dict[str, frozenset[Role]] = {
    "enroll_client": frozenset({Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.NURSE}),
    "prescribe": frozenset({Role.PRESCRIBER}),
    "administer_dose": frozenset({Role.NURSE, Role.PRESCRIBER}),
}

MAY_READ_TIMELINE = frozenset(
    {Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.PEER_SUPPORTER, Role.AUDITOR}
)


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated(
            "authorization", "token-required", "send 'Authorization: Bearer <token>'"
        )
    return actor


def authorize(actor: Actor | None, action: str) -> Actor:
    """The actor, if their role may perform ``action``; a refusal naming the roles that may."""
    who = require_actor(actor)
    allowed = MAY_RECORD[action]
    if who.role not in allowed:
        roles = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden("role", "role-may-record", f"{action} needs one of: {roles}")
    return who
