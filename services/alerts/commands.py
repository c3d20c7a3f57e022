"""Commands on a client's alerts: acknowledge and resolve, each with a note."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from carecoord.services.alerts.record import AlertRecord
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, on


def acknowledge_alert(
    stamp: Stamp, *, client_id: UUID, alert_id: UUID, note: str, occurred_at: datetime | None = None
) -> Command[UUID]:
    return on(
        AlertRecord,
        client_id,
        alert_id,
        lambda a: a.acknowledge(stamp, alert_id, note, occurred_at),
    )


def resolve_alert(
    stamp: Stamp, *, client_id: UUID, alert_id: UUID, note: str, occurred_at: datetime | None = None
) -> Command[UUID]:
    return on(
        AlertRecord, client_id, alert_id, lambda a: a.resolve(stamp, alert_id, note, occurred_at)
    )
