"""Clients' records as one FHIR R4 Bundle: each client's events folded into resources by the
mapping of its context, and the reads of their record (the access log) as AuditEvents."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from uuid import UUID, uuid4

from carecoord.events.envelope import CareEvent
from carecoord.projections.audit import (
    alerts,
    care,
    checkins,
    consent,
    dispensing,
    medication,
    therapy,
)
from carecoord.projections.audit.fhir import Handler, Resource, Resources, bundle
from carecoord.services.infrastructure.access_log import LoggedRead
from carecoord.services.infrastructure.audit_events import audit_event

HANDLERS: dict[type, Handler] = (
    care.HANDLERS
    | consent.HANDLERS
    | medication.HANDLERS
    | dispensing.HANDLERS
    | therapy.HANDLERS
    | checkins.HANDLERS
    | alerts.HANDLERS
)
"""Every event type of the store, by the mapping that folds it (a test holds it complete)."""


Withheld = Mapping[UUID, Collection[str]]
"""By event id, the free text holding words an export withholds from its reader."""


def resources(
    events: Iterable[CareEvent],
    *,
    at: datetime,
    zone: tzinfo = UTC,
    changed_since: datetime | None = None,
    withheld: Withheld | None = None,
) -> list[Resource]:
    """One client's events (in log order) folded into resources as they stood ``at``, their
    days in ``zone`` (the program's), the free text ``withheld`` masked; with
    ``changed_since``, only those an event (or a consent's end) from then on made or
    changed."""
    made = Resources(zone, withheld)
    for event in events:
        HANDLERS[type(event)](made, event)
    consent.lapse(made, at)
    return list(made) if changed_since is None else made.changed_since(changed_since)


def record_bundle(
    records: Iterable[tuple[Sequence[CareEvent], Withheld]],
    reads: Iterable[LoggedRead],
    *,
    at: datetime,
    stood: datetime | None = None,
    zone: tzinfo = UTC,
    changed_since: datetime | None = None,
) -> Resource:
    """``records``: each client's events and the free text withheld of them; ``reads``: the
    access-log entries to include; ``at``: the Bundle's timestamp; ``stood``: the moment its
    resources are as they stood at (a period's end; None: ``at``); ``zone``: the program's
    time zone."""
    made = [
        r
        for events, withheld in records
        for r in resources(
            events, at=stood or at, zone=zone, changed_since=changed_since, withheld=withheld
        )
    ]
    return bundle([*made, *(audit_event(read) for read in reads)], bundle_id=uuid4(), at=at)
