"""Who is on a client's care team, in which role, and since or until when.

Membership over time is what read access hangs on: a clinician reads a client's record
only while a ``CareTeamMemberAssigned`` for them has no matching ``CareTeamMemberEnded``.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from carecoord.events.envelope import CareEvent, Kind, Role


class CareTeamMemberAssigned(CareEvent):
    """A program admin put a clinician on the client's care team (FHIR CareTeam.participant)."""

    context: ClassVar[str] = "careteam"
    kind: ClassVar[Kind] = Kind.CARE
    summary_template: ClassVar[str] = "{member_id} joined the care team as {role}"

    member_id: str = Field(min_length=1, max_length=200)
    role: Role


class CareTeamMemberEnded(CareEvent):
    """A clinician left the client's care team; their read access ends with it."""

    context: ClassVar[str] = "careteam"
    kind: ClassVar[Kind] = Kind.CARE
    summary_template: ClassVar[str] = "{member_id} left the care team ({reason})"

    member_id: str = Field(min_length=1, max_length=200)
    role: Role
    reason: str = Field(min_length=1, max_length=500)
