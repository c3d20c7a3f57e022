"""Who is on a client's care team, in which role, and since or until when.

Membership over time is what read access hangs on: a clinician reads a client's record
only while a ``CareTeamMemberAssigned`` for them has no matching ``CareTeamMemberEnded``.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from carecoord.events.envelope import CareEvent, Kind, Role


class _Membership(CareEvent):
    """Who a membership names, and in which role: what every change of it says."""

    context: ClassVar[str] = "careteam"
    type_kind: ClassVar[Kind] = Kind.CARE

    member_id: str = Field(min_length=1, max_length=200)
    role: Role


class CareTeamMemberAssigned(_Membership):
    """A program admin put a clinician on the client's care team (FHIR CareTeam.participant)."""

    summary_template: ClassVar[str] = "{member_id} joined the care team as {role}"


class CareTeamMemberEnded(_Membership):
    """A clinician left the client's care team; their read access ends with it."""

    summary_template: ClassVar[str] = "{member_id} left the care team ({reason})"
    free_text: ClassVar[tuple[str, ...]] = ("reason",)
    summary_text: ClassVar[str] = "reason"

    reason: str = Field(min_length=1, max_length=500)
