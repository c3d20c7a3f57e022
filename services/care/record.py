"""The client record aggregate: whether and where a client is enrolled."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from carecoord.events import CareEvent, ClientEnrolled
from carecoord.services.aggregate import Aggregate
from carecoord.services.errors import NotFound, RuleViolation
from carecoord.services.stamp import Stamp


class ClientRecord(Aggregate):
    context: ClassVar[str] = "care"

    def __init__(self, client_id: UUID) -> None:
        super().__init__(client_id)
        self.display_name = ""
        self.program = ""

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, ClientEnrolled):
            self.display_name = event.display_name
            self.program = event.program

    def enroll(
        self, stamp: Stamp, *, display_name: str, program: str, occurred_at: datetime | None
    ) -> None:
        if self.exists:
            raise RuleViolation(
                "clientId", "already-enrolled", f"client {self.client_id} is already enrolled"
            )
        self.record(
            stamp.event(
                ClientEnrolled,
                self.client_id,
                occurred_at,
                display_name=display_name.strip(),
                program=program.strip(),
            )
        )

    def require_enrolled(self) -> None:
        if not self.exists:
            raise NotFound(
                "clientId",
                "unknown-client",
                f"no client {self.client_id} is enrolled; enroll the client first",
            )
