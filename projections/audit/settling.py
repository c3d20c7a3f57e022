"""When an export of a period of recording time may read the store.

A command stamps its events' ``recorded_at`` as the writer decides it, then commits them
with the rest of its batch (``services/infrastructure/commands.py``): an event stamped just
before a period's end may be committed just after it. An export that read the store in
between held it no more than the next export, which starts at that end, so an auditor's
consecutive exports missed it. So an export of a period first lets ``SETTLE`` pass since its
end, by when every batch holding an event stamped in it has reached the store, then waits
for every transaction storing events to end (``EventStore.writers_done``) before it reads:
``audit export`` however long that takes, the API no longer than its statements' bound, then
it answers to retry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from carecoord.projections.audit.export import Period

SETTLE = timedelta(minutes=2)
"""Longer than a batch takes from its first stamp to its transaction: the rest of the batch
decides in milliseconds, a pooled connection is waited for 30 s at most, and a batch run
again after a conflict is stamped afresh."""


def until(period: Period, now: datetime) -> datetime | None:
    """When every batch holding an event recorded in ``period`` has reached the store, if
    that is still to come at ``now``; None once it has passed, or for a period left open
    (all until the export reads the store)."""
    if period.end is None or period.end + SETTLE <= now:
        return None
    return period.end + SETTLE
