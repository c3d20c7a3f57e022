"""Who is acting and when: the envelope every command puts on the events it records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any, TypeVar
from uuid import UUID, uuid4

from pydantic import ValidationError

from carecoord.events import Actor, CareEvent
from carecoord.services.kernel.errors import Forbidden, InvalidInput
from carecoord.services.kernel.program_day import program_day

E = TypeVar("E", bound=CareEvent)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Stamp:
    """The acting person and the request's correlation id, applied to new events.

    ``clients``, when set, are the clients the actor was admitted to act for (see
    ``services/access.admit``): the stamp signs no event about anyone else, so a command
    cannot record past the gate that issued it.
    """

    actor: Actor
    correlation_id: UUID = field(default_factory=uuid4)
    causation_id: UUID | None = None
    clock: Callable[[], datetime] = utcnow
    clients: frozenset[UUID] | None = None
    zone: tzinfo = UTC
    """The program's time zone (``program_time_zone``): a day a person writes down (a
    signing date, a goal's target) is a day there, not in UTC."""

    def day(self, moment: datetime | None = None) -> date:
        """The program's day of ``moment``, or of now."""
        return program_day(moment or self.clock(), self.zone)

    def also_for(self, *records: UUID) -> Stamp:
        """This stamp, signing events about ``records`` too: records a command writes as
        part of what the gate admitted for its clients, never named by the request (a dose's
        draw on the record of draws of the lot it was poured from)."""
        if self.clients is None:
            return self
        return replace(self, clients=self.clients | frozenset(records))

    def event(self, cls: type[E], client_id: UUID, occurred_at: datetime | None, **facts: Any) -> E:
        """Build an event, turning a validation failure into an error that names the field."""
        if self.clients is not None and client_id not in self.clients:
            raise Forbidden(
                "clientId",
                "admitted-client",
                f"this request was admitted for other clients, not {client_id}",
            )
        now = self.clock()
        try:
            return cls(
                event_id=uuid4(),
                client_id=client_id,
                occurred_at=occurred_at or now,
                recorded_at=now,
                actor=self.actor,
                correlation_id=self.correlation_id,
                causation_id=self.causation_id,
                **facts,
            )
        except ValidationError as invalid:
            raise invalid_input(invalid) from None


def invalid_input(invalid: ValidationError, prefix: str = "") -> InvalidInput:
    """The first problem, named as the API names the field (camelCase, dotted)."""
    first = invalid.errors()[0]
    parts = [prefix] if prefix else []
    parts += [to_camel(str(part)) for part in first["loc"]]
    where = ".".join(parts) or "input"
    return InvalidInput(where, first["type"], f"{where}: {first['msg']}")


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)
