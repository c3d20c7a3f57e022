"""Commands on care teams (program admins only; see services/kernel/access.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from carecoord.events import Role
from carecoord.services.care.enrolled import on_enrolled
from carecoord.services.care.record import ClientRecord
from carecoord.services.careteam.team import CareTeam
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork


def assign_member(
    stamp: Stamp,
    *,
    client_id: UUID,
    member_id: str,
    role: Role,
    occurred_at: datetime | None = None,
) -> Command[UUID]:

    def run(uow: UnitOfWork) -> UUID:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        uow.get(CareTeam, client_id).assign(
            stamp,
            member_id=member_id,
            role=role,
            occurred_at=occurred_at,
            enrolled_at=client.enrolled_at,
        )
        return client_id

    return run


def end_membership(
    stamp: Stamp,
    *,
    client_id: UUID,
    member_id: str,
    reason: str,
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    return on_enrolled(
        CareTeam,
        client_id,
        client_id,
        lambda team: team.end(stamp, member_id=member_id, reason=reason, occurred_at=occurred_at),
    )
