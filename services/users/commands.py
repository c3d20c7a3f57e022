"""Suspending and reinstating a user: load the user's access record, decide, record."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from carecoord.events.users import user_record_id
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork
from carecoord.services.users import access
from carecoord.services.users.access import UserAccess

Decision = Callable[[UserAccess, Stamp, str, str, str | None], None]


def suspend(stamp: Stamp, *, user_id: str, reason: str, program: str | None) -> Command[UUID]:
    """Answers with the id of the user's access record."""
    return _deciding(access.suspend, stamp, user_id, reason, program)


def reinstate(stamp: Stamp, *, user_id: str, reason: str, program: str | None) -> Command[UUID]:
    """Answers with the id of the user's access record."""
    return _deciding(access.reinstate, stamp, user_id, reason, program)


def _deciding(
    decide: Decision, stamp: Stamp, user_id: str, reason: str, program: str | None
) -> Command[UUID]:
    def run(uow: UnitOfWork) -> UUID:
        record = uow.get(UserAccess, user_record_id(user_id))
        decide(record, stamp, user_id, reason, program)
        return record.client_id

    return run
