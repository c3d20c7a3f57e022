"""What an export holds: the events of a client's record a reader's grant shows, up to the end
of a period, as JSON Lines or a FHIR R4 Bundle.

A period is of recording time (``recorded_at``, the log's own order, as the timeline's
``asOf``): JSON Lines carry the events recorded in it; a Bundle carries the resources as they
stood at its end, those an event recorded in it made or changed (a discontinuation in the
period brings its order along, prescribed before or not; a consent whose term ended in it is
there, inactive). The reader's grant filters before
anything is folded, so a kind they may not see never reaches a resource.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from uuid import UUID

from carecoord.events import Actor, CareEvent, Kind, Role
from carecoord.events.bounds import YEAR_MIN
from carecoord.events.care import GoalProgressRecorded, TreatmentGoalSet
from carecoord.events.positioned import Positioned
from carecoord.projections.audit import jsonl
from carecoord.projections.audit.bundle import record_bundle
from carecoord.projections.audit.fhir import Resource
from carecoord.services.infrastructure.access_log import LoggedRead
from carecoord.services.kernel.policy import Grant, shows_text_by

RECORDS_BEGIN = datetime(YEAR_MIN, 1, 1, tzinfo=UTC)
"""The earliest an event can be recorded at: no time of an event falls before its year."""


class Format(StrEnum):
    JSONL = "jsonl"
    FHIR = "fhir"


@dataclass(frozen=True, slots=True)
class Period:
    """Recorded at or after ``start`` and before ``end``; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None

    def holds_nothing(self) -> bool:
        """Ending at or before its start (the two swapped, an offset misread): an export of
        it would hold nothing, yet log a read of every client."""
        return self.start is not None and self.end is not None and self.end <= self.start

    def ends_before_records(self) -> bool:
        """Ending at or before ``RECORDS_BEGIN`` (0001-01-01 for a year left out): nothing
        can be recorded in it, yet an export of it would log a read of every client."""
        return self.end is not None and self.end <= RECORDS_BEGIN

    def to_come(self, now: datetime) -> bool:
        """Ending after ``now``: the period is not over, so an export of it is not whole, and
        what is recorded in it from then on is in neither that export nor the next one, which
        starts where it ended."""
        return self.end is not None and self.end > now

    def starts_to_come(self, now: datetime) -> bool:
        """Starting after ``now``: nothing recorded is in it yet, so an export of it would
        hold nothing, yet log a read of every client (a year mistyped read as a quiet
        period)."""
        return self.start is not None and self.start > now

    def reached(self, at: datetime) -> bool:
        return self.end is None or at < self.end

    def holds(self, at: datetime) -> bool:
        return (self.start is None or at >= self.start) and self.reached(at)


WHOLE = Period()


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """The part of one client's history a reader may see, up to the end of a period."""

    client_id: UUID
    events: Sequence[Positioned]
    withheld: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    """The free text of ``events`` the reader is not shown, by position: an event's
    ``free_text`` where their grant does not hold all its writer's role reads
    (``policy.shows_text_by``; a progress step's restating of its goal's words, the goal's
    writer's), as the timeline withholds it. A program admin is shown a
    prescriber's reason for a level of care no more there than here; an auditor's grant
    holds what every writer reads, so theirs is empty."""

    @classmethod
    def shown(
        cls, client_id: UUID, history: Iterable[Positioned], grant: Grant, reader: Actor,
        period: Period = WHOLE,
    ) -> ClientRecord:  # fmt: skip
        events = [item for item in history if _shown(item, grant, reader, period)]
        return cls._of(client_id, events, grant, reader, _goal_writers(events))

    @classmethod
    def read(
        cls, client_id: UUID, pages: Iterable[Sequence[Positioned]], grant: Grant,
        reader: Actor, period: Period, *, most: int, earlier: bool,
    ) -> ClientRecord | None:  # fmt: skip
        """The record ``shown`` makes of a history read a page at a time, or None as soon as
        more than ``most`` of its events are in the period, the pages after left unread.
        With ``earlier``, the events before the period are kept as well (a Bundle folds them
        into the resources the period changed); JSON Lines carry the period's alone."""
        events: list[Positioned] = []
        goals: dict[UUID, Actor] = {}
        inside = 0
        for page in pages:
            for item in page:
                if not _shown(item, grant, reader, period):
                    continue
                goals |= _goal_writers([item])
                if period.holds(item.event.recorded_at):
                    inside += 1
                    if inside > most:
                        return None
                elif not earlier:
                    continue
                events.append(item)
        return cls._of(client_id, events, grant, reader, goals)

    @classmethod
    def _of(
        cls, client_id: UUID, events: list[Positioned], grant: Grant, reader: Actor,
        goals: Mapping[UUID, Actor],
    ) -> ClientRecord:  # fmt: skip
        """A progress step's restating of its goal's words goes by the goal's writer (in
        ``goals``; a prescriber where the goal is not among them), as the timeline's does."""
        withheld = {}
        for item in events:
            event = item.event
            writers: dict[str, Actor | None] = dict.fromkeys(event.free_text, event.actor)
            if isinstance(event, GoalProgressRecorded):
                writers["description"] = goals.get(event.goal_id)
            gone = tuple(n for n, by in writers.items() if not _shows(grant, reader, by))
            if gone:
                withheld[item.position] = gone
        return cls(client_id, events, withheld)

    def within(self, period: Period) -> list[Positioned]:
        return [item for item in self.events if period.holds(item.event.recorded_at)]

    def kinds(self, period: Period) -> set[Kind]:
        return {item.event.kind for item in self.within(period)}


def _shows(grant: Grant, reader: Actor, writer: Actor | None) -> bool:
    """Whether ``grant`` shows ``reader`` text by ``writer``; a goal's not among the events
    read (None) is taken to be a prescriber's."""
    if writer is None:
        return shows_text_by(grant, Role.PRESCRIBER, authored_by_reader=False)
    return shows_text_by(grant, writer.role, authored_by_reader=writer.id == reader.id)


def _goal_writers(events: Iterable[Positioned]) -> dict[UUID, Actor]:
    """Who set each goal among ``events``, by goal id."""
    return {
        item.event.goal_id: item.event.actor
        for item in events
        if isinstance(item.event, TreatmentGoalSet)
    }


def _shown(item: Positioned, grant: Grant, reader: Actor, period: Period) -> bool:
    """Recorded before the period's end, of a kind the grant shows its reader."""
    event = item.event
    return period.reached(event.recorded_at) and grant.shows(
        event.kind, authored_by_reader=event.actor.id == reader.id
    )


def _without(item: Positioned, withheld: Mapping[int, tuple[str, ...]]) -> CareEvent:
    """The event with the free text its reader is not shown emptied."""
    fields = withheld.get(item.position, ())
    return item.event.model_copy(update=dict.fromkeys(fields, "")) if fields else item.event


def _masked(record: ClientRecord) -> dict[UUID, list[str]]:
    """The free text holding words the record withholds, by event id: masked where it would
    stand, where text never given is left out."""
    return {
        item.event.event_id: [n for n in fields if getattr(item.event, n)]
        for item in record.events
        if (fields := record.withheld.get(item.position, ()))
    }


def as_jsonl(records: Iterable[ClientRecord], period: Period = WHOLE) -> str:
    """The events recorded in the period, all clients merged in log order, one a line, the
    free text each record withholds withheld (``jsonl.line``)."""
    records = list(records)
    merged = heapq.merge(*(r.within(period) for r in records), key=lambda item: item.position)
    withheld = {p: fields for r in records for p, fields in r.withheld.items()}
    return "".join(f"{line}\n" for line in jsonl.lines(merged, withheld))


def as_fhir(
    records: Iterable[ClientRecord],
    reads: Iterable[LoggedRead],
    *,
    at: datetime,
    period: Period = WHOLE,
    zone: tzinfo = UTC,
) -> Resource:
    """A Bundle of each client's resources (see the module notes; a period still to come
    ends ``at``) and the given reads; its dates are days of the program's time zone
    ``zone``. The free text a record withholds is folded as empty: no resource carries it,
    and where it would stand (a concept, a note, a detail) it reads the data-absent-reason
    ``masked``, as text never given does not."""
    return record_bundle(
        (([_without(item, r.withheld) for item in r.events], _masked(r)) for r in records),
        reads,
        at=at,
        stood=min(period.end, at) if period.end is not None else at,
        zone=zone,
        changed_since=period.start,
    )
