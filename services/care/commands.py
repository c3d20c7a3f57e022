"""Commands on a client's place in the program."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from carecoord.services.care.record import ClientRecord
from carecoord.services.commands import Command, UnitOfWork
from carecoord.services.stamp import Stamp


def enroll_client(
    stamp: Stamp,
    *,
    display_name: str,
    program: str,
    client_id: UUID | None = None,
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    new_id = client_id or uuid4()

    def run(uow: UnitOfWork) -> UUID:
        uow.get(ClientRecord, new_id).enroll(
            stamp, display_name=display_name, program=program, occurred_at=occurred_at
        )
        return new_id

    return run
