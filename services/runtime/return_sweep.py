"""The unwitnessed-return sweep: a periodic task that raises take-home-return-unwitnessed for
every take-home return its witness has not confirmed within the alert row's hours
(``services/alerts/unwitnessed.py``; the alerts are the alert rules' actor's).

It finds candidates in the dispensing log's read model (a return's lines with no
confirmation row; one not yet projected is picked up on a later run) and decides on the
aggregates, so it is idempotent: an alert already raised for a return is not raised again,
and two sweeps racing conflict on the record and the retry finds it raised.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from psycopg import sql

from carecoord.services.infrastructure.settings import Settings
from carecoord.services.medication.commands import flag_unwitnessed_returns
from carecoord.services.platform import Platform
from carecoord.services.runtime import sweeps

log = logging.getLogger("carecoord.medication.returns")

CANDIDATES = sql.SQL(
    "SELECT DISTINCT l.client_id FROM dispensing_log l WHERE l.amount_returned IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM dispensing_log w WHERE w.ref_id = l.ref_id"
    " AND w.witnessed_at IS NOT NULL)"
)


async def sweep_once(platform: Platform, now: datetime) -> int:
    """Raise the alert of every return unconfirmed past the row's hours at ``now``; how many
    were raised."""
    alerting = platform.alert_rules
    outcomes = await asyncio.gather(
        *(
            platform.bus.execute(
                flag_unwitnessed_returns(client_id=client, now=now, alert_rules=alerting)
            )
            for client in await sweeps.clients(platform.pool, CANDIDATES)
        )
    )
    raised = sum(outcome.result for outcome in outcomes)
    if raised:
        log.info("unwitnessed take-home returns alerted", extra={"count": raised})
    return raised


async def run(platform: Platform, settings: Settings) -> None:
    """Sweep every ``missed_dose_interval_seconds``, the medication sweeps' interval."""
    await sweeps.every(
        settings.missed_dose_interval_seconds, lambda: sweep_once(platform, datetime.now(UTC)), log
    )
