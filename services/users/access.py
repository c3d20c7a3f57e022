"""The record of one user's access (``user_record_id``): whether they are suspended now.

A suspension ends every request and open socket of the user id at once, whatever token it
carries; a reinstatement lets their tokens in again. Each is a new event on the record, so
who ended access, when and why stays on it, and nothing is edited in place.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.users import REASON_MAX, UserReinstated, UserSuspended, user_record_id
from carecoord.services.kernel.aggregate import Aggregate, aggregate_id
from carecoord.services.kernel.errors import Forbidden, InvalidInput, RuleViolation
from carecoord.services.kernel.platform_ids import a_person
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.user_ids import subject_asked


class UserAccess(Aggregate, context="users"):
    def __init__(self, record_id: UUID) -> None:
        super().__init__(record_id)
        self.suspended = False
        self.since: datetime | None = None
        self.by: str | None = None
        self.program: str | None = None
        """The program whose admin suspended the user (None: an admin of every program)."""

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, UserSuspended):
            self.suspended, self.since, self.by = True, event.occurred_at, event.actor.id
            self.program = event.program
        elif isinstance(event, UserReinstated):
            self.suspended, self.since, self.by = False, event.occurred_at, event.actor.id


def user_named(user_id: str) -> str:
    """The user id as a token's subject reads (trimmed, printable, bounded, ``one_way``), one
    a person may be known by: the platform's own ids are no one's to suspend."""
    return one_way(a_person("userId", subject_asked("userId", user_id)))


def one_way(user_id: str) -> str:
    """A user id that is a UUID (a client's id, an identity provider's subject) written one
    way, as the gate reads a client's token: a client suspended by their id in capitals had a
    record of its own, and their tokens, read as the id in small letters, were taken."""
    try:
        return str(UUID(user_id))
    except ValueError:
        return user_id


SUSPENDED_RULE = "user-suspended"


def suspended_refusal() -> Forbidden:
    """What a suspended user is told, whatever they asked: no more than that."""
    return Forbidden(
        "authorization",
        SUSPENDED_RULE,
        "your access is suspended by a program admin; ask one to reinstate it",
    )


def access_record(user_id: str) -> UUID:
    """The store's id of ``user_id``'s access record (its aggregate's), the id read one way
    as a suspension names it (``one_way``)."""
    return aggregate_id(UserAccess.context, user_record_id(one_way(user_id)))


def reason_given(reason: str) -> str:
    """Why, required: trimmed, printable (line breaks aside), at most ``REASON_MAX``."""
    said = reason.strip()
    if not said:
        raise InvalidInput("reason", "reason-required", "say why, in reason")
    if len(said) > REASON_MAX:
        raise InvalidInput("reason", "reason-length", f"reason is at most {REASON_MAX} characters")
    if not all(ch.isprintable() or ch in "\n\t" for ch in said):
        raise InvalidInput("reason", "printable", "reason must be printable text")
    return said


def suspend(
    access: UserAccess, stamp: Stamp, user_id: str, reason: str, program: str | None
) -> None:
    """Refused for the admin themself (``not-self``: an admin cannot lock themself out, and
    the last admin of a program would leave it with none), and for a user suspended already
    (``already-suspended``: the first suspension stands, with its who and why)."""
    why = reason_given(reason)
    if user_id == one_way(stamp.actor.id):
        raise Forbidden(
            "userId",
            "not-self",
            "you cannot suspend yourself; another program admin suspends you",
        )
    if access.suspended:
        raise RuleViolation(
            "userId",
            "already-suspended",
            f"user {user_id} is suspended already (since {access.since:%Y-%m-%dT%H:%M:%SZ},"
            f" by {access.by})",
        )
    access.record(_event(UserSuspended, stamp, user_id, why, program))


def reinstate(
    access: UserAccess, stamp: Stamp, user_id: str, reason: str, program: str | None
) -> None:
    """Refused for a user not suspended (``not-suspended``), and to an admin of one program
    for a suspension an admin of another, or of every program, recorded (``admin-program``):
    a stolen token's suspension is not undone from a program that did not decide it."""
    why = reason_given(reason)
    if not access.suspended:
        raise RuleViolation(
            "userId", "not-suspended", f"user {user_id} is not suspended: nothing to reinstate"
        )
    if program is not None and access.program != program:
        decided = "every program" if access.program is None else f"program {access.program!r}"
        raise Forbidden(
            "userId",
            "admin-program",
            f"user {user_id} was suspended by an admin of {decided}; one of theirs reinstates",
        )
    access.record(_event(UserReinstated, stamp, user_id, why, program))


def _event(
    cls: type[UserSuspended | UserReinstated],
    stamp: Stamp,
    user_id: str,
    reason: str,
    program: str | None,
) -> UserSuspended | UserReinstated:
    return stamp.event(
        cls, user_record_id(user_id), None, user_id=user_id, reason=reason, program=program
    )
