"""Check-ins with the longest note a nurse may write, recorded straight into the store: a
backlog of megabytes for the writer, the relay and the followers to carry."""

from __future__ import annotations

from uuid import UUID, uuid4

from carecoord.events import Actor, Role
from carecoord.events.checkins import CheckInRecorded, ReportSource
from carecoord.services.kernel.aggregate import Recorded, aggregate_id
from carecoord.services.kernel.stamp import Stamp

NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))
NOTE = "\N{GRINNING FACE}" * 5000  # the longest note: 20 kB of JSON


def long_check_ins(client: UUID, count: int) -> list[Recorded]:
    """``count`` check-ins of ``client``, versions 1 to ``count`` of its check-in record."""
    checkins = aggregate_id(CheckInRecorded.context, client)
    return [
        Recorded(
            checkins,
            version,
            NURSE.event(
                CheckInRecorded,
                client,
                None,
                checkin_id=uuid4(),
                source=ReportSource.CLINICIAN,
                note=NOTE,
            ),
        )
        for version in range(1, count + 1)
    ]
