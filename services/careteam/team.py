"""The care team aggregate: one client's memberships, so a member is never on it twice.

A membership's start and end are times that have happened (``clinical_time.plausible``):
one in the future, a start before the client's enrolment or before the member's last
membership ended is refused. Access follows
them, so one dated within the clock tolerance ahead counts from when it is recorded: a
removal never leaves its member reading the record for a moment after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from carecoord.events import CareEvent, Role
from carecoord.events.bounds import said
from carecoord.events.careteam import CareTeamMemberAssigned, CareTeamMemberEnded
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.clinical_time import happened
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.platform_ids import a_person
from carecoord.services.kernel.policy import ON_CARE_TEAM
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.user_ids import not_read_as

TEAM_ROLES = frozenset(ON_CARE_TEAM)


@dataclass(frozen=True, slots=True)
class Membership:
    role: Role
    since: datetime


class CareTeam(Aggregate, context="careteam"):
    def __init__(self, client_id: UUID) -> None:
        super().__init__(client_id)
        self.members: dict[str, Membership] = {}
        self.left: dict[str, datetime] = {}
        """When each former member's last membership ended."""

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, CareTeamMemberAssigned):
            self.members[event.member_id] = Membership(event.role, event.occurred_at)
        elif isinstance(event, CareTeamMemberEnded):
            self.members.pop(event.member_id, None)
            self.left[event.member_id] = ended(event)

    def assign(
        self,
        stamp: Stamp,
        *,
        member_id: str,
        role: Role,
        occurred_at: datetime | None,
        enrolled_at: datetime | None = None,
    ) -> None:
        member_id = member_id.strip()
        if not member_id.isprintable():
            raise InvalidInput(
                "memberId",
                "member-id",
                "a member id is printable text (a token's subject), without line breaks, tabs"
                " or other control or spacing characters but the space",
            )
        a_person("memberId", member_id)
        not_read_as(
            "memberId",
            member_id,
            self.members.keys() | self.left.keys(),
            "already on this client's care team",
        )
        occurred_at = _happened(stamp, occurred_at, enrolled_at)
        if role not in TEAM_ROLES:
            roles = ", ".join(sorted(r.value for r in TEAM_ROLES))
            raise InvalidInput("role", "care-team-role", f"a care team member is one of: {roles}")
        current = self.members.get(member_id)
        if current is not None:
            raise RuleViolation(
                "memberId",
                "one-membership",
                f"{member_id} is already on this care team as {current.role.value} since "
                f"{current.since.isoformat()}; end that membership first",
            )
        left = self.left.get(member_id)
        if occurred_at is not None and left is not None and occurred_at < left:
            raise InvalidInput(
                "occurredAt",
                "start-after-last-end",
                f"{member_id}'s last membership ended {left.isoformat()}; a new one starts"
                " after it, not overlapping it",
            )
        self.record(
            stamp.event(
                CareTeamMemberAssigned, self.client_id, occurred_at, member_id=member_id, role=role
            )
        )

    def end(
        self, stamp: Stamp, *, member_id: str, reason: str, occurred_at: datetime | None
    ) -> None:
        current = self.members.get(member_id.strip())
        if current is None:
            raise NotFound(
                "memberId", "current-member", f"{member_id} is not on this client's care team"
            )
        if occurred_at is not None and occurred_at < current.since:
            raise InvalidInput(
                "occurredAt",
                "end-after-start",
                f"the membership started {current.since.isoformat()}; it cannot end before",
            )
        occurred_at = _happened(stamp, occurred_at, None)
        self.record(
            stamp.event(
                CareTeamMemberEnded,
                self.client_id,
                occurred_at,
                member_id=member_id.strip(),
                role=current.role,
                reason=said(reason),
            )
        )


def ended(event: CareTeamMemberEnded) -> datetime:
    """When a membership ended: as dated, but no later than the removal was recorded. An end
    dated ahead (kept before such dates were refused) ends it when it was recorded: the
    member read the record until then, and nothing could end it sooner."""
    return min(event.occurred_at, event.recorded_at)


def _happened(
    stamp: Stamp, occurred_at: datetime | None, enrolled_at: datetime | None
) -> datetime | None:
    """``occurred_at`` if it has happened (refused in the future beyond the clock tolerance,
    or before enrolment), no later than now: access follows it from this request on."""
    return happened("occurredAt", occurred_at, now=stamp.clock(), enrolled_at=enrolled_at)
