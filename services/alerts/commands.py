"""Commands on a client's alerts: acknowledge and resolve, each with a note."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from carecoord.services.alerts.record import AlertRecord
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork


def acknowledge_alert(
    stamp: Stamp, *, client_id: UUID, alert_id: UUID, note: str, occurred_at: datetime | None = None
) -> Command[UUID]:
    def run(uow: UnitOfWork) -> UUID:
        uow.get(AlertRecord, client_id).acknowledge(stamp, alert_id, note, occurred_at)
        return alert_id

    return run


def resolve_alert(
    stamp: Stamp, *, client_id: UUID, alert_id: UUID, note: str, occurred_at: datetime | None = None
) -> Command[UUID]:
    def run(uow: UnitOfWork) -> UUID:
        uow.get(AlertRecord, client_id).resolve(stamp, alert_id, note, occurred_at)
        return alert_id

    return run
