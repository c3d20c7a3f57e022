"""Who leads a session: a member of each client's care team, now, in a role that may write the
session's counseling note (the clinician who leads a session is the one who documents it).

A clinician who leaves a client's team keeps the sessions already booked with them (their
outcomes and notes are recorded by the team as before); a new booking names a current member,
however far back it is dated.
"""

from __future__ import annotations

from carecoord.events.envelope import ACTOR_ID_MAX
from carecoord.services.careteam.team import CareTeam
from carecoord.services.kernel.access import MAY_RECORD, Action
from carecoord.services.kernel.errors import InvalidInput, RuleViolation
from carecoord.services.kernel.platform_ids import a_person

LEADS_SESSIONS = MAY_RECORD[Action.RECORD_COUNSELING_NOTE]


def clinician_named(given: str | None, actor_id: str) -> str:
    """The clinician a booking names: the one given (a user id, as a token's subject is), or
    whoever books it. Checked before the care team is, so a refusal never echoes a long or
    unprintable value."""
    if given is None:
        return actor_id
    named = given.strip()
    if not named or len(named) > ACTOR_ID_MAX or not named.isprintable():
        raise InvalidInput(
            "clinicianId",
            "clinician-id",
            f"a clinician is named by their user id, printable text of 1 to {ACTOR_ID_MAX}"
            " characters; leave clinicianId out to lead the session yourself",
        )
    return a_person("clinicianId", named)


def require_leader(team: CareTeam, clinician_id: str) -> None:
    """Refuse ``clinician_id`` unless they are on ``team`` now, in a role that leads sessions."""
    member = team.members.get(clinician_id)
    client = team.client_id
    if member is None:
        left = team.left.get(clinician_id)
        since = "" if left is None else f" (their membership ended {left.isoformat()})"
        raise RuleViolation(
            "clinicianId",
            "clinician-on-care-team",
            f"{clinician_id} is not on client {client}'s care team{since}; a session is led"
            " by a current member (a program admin adds them)",
        )
    if member.role not in LEADS_SESSIONS:
        roles = " or ".join(sorted(role.value for role in LEADS_SESSIONS))
        raise RuleViolation(
            "clinicianId",
            "clinician-role",
            f"{clinician_id} is on client {client}'s care team as {member.role.value}; a"
            f" session is led by a {roles}",
        )
