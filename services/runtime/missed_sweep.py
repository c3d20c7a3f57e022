"""The missed-dose sweep: a periodic task that runs the missed-dose rule for every client
with a clinic-dispensed order, as the system actor.

It finds candidates in the medications read model (a client whose order is not yet
projected is picked up on a later run) and decides on the aggregate, so it is idempotent
and catches up after downtime: the rule walks every passed dosing day. What is missed is the
rule's decision (``services/medication/missed.py``), not the sweep's: a day a dose not given
was recorded for is not, nor yet a day before an order entered late was entered (its charting
grace, for the paper doses). Two sweeps racing
(two projector processes) conflict on the record and the retry finds nothing new.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime

from psycopg import sql

from carecoord.events import Actor, Role
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.kernel.platform_ids import MISSED_DOSE_SWEEP
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.commands import detect_missed_doses
from carecoord.services.platform import Platform
from carecoord.services.runtime import sweeps

log = logging.getLogger("carecoord.medication.missed")

SWEEPER = Actor(id=MISSED_DOSE_SWEEP, role=Role.SYSTEM)

CANDIDATES = sql.SQL(
    "SELECT DISTINCT client_id FROM medications WHERE entry = 'order'"
    " AND status IN ('active', 'on-hold') AND details->>'dispensing' = 'clinic'"
)


async def sweep_once(platform: Platform, today: date) -> int:
    """Record missed dosing days before ``today`` for every candidate; how many were new. A
    hold placed over days take-home bottles are out for raises the platform's recall."""
    stamp, rules, alerting = Stamp(SWEEPER), platform.medication, platform.alert_rules
    outcomes = await asyncio.gather(
        *(
            platform.bus.execute(
                detect_missed_doses(
                    stamp, client_id=client, today=today, rules=rules, alert_rules=alerting
                )
            )
            for client in await sweeps.clients(platform.pool, CANDIDATES)
        )
    )
    found = sum(outcome.result for outcome in outcomes)
    if found:
        log.info("missed doses recorded", extra={"count": found, "through": str(today)})
    return found


async def run(platform: Platform, settings: Settings) -> None:
    """Sweep every ``missed_dose_interval_seconds``; the first sweep after a restart
    catches up on every day missed while the process was down. "Today" is the program's
    local day, so a day counts as passed at the program's midnight, not UTC's."""
    zone = platform.medication.zone
    await sweeps.every(
        settings.missed_dose_interval_seconds,
        lambda: sweep_once(platform, datetime.now(zone).date()),
        log,
    )
