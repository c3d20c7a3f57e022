"""Commands that record how a client is doing, each with the alerts it raises.

Ids are drawn when the command is built, so a retry after a conflict records the same ids.
A check-in's time is refused in the future (beyond the clock tolerance) or before the
client's enrolment (``clinical_time.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar
from uuid import UUID, uuid4

from carecoord.events import CareEvent
from carecoord.events.checkins import AnalyteFinding, Instrument, ScreenMethod
from carecoord.services.alerts.raising import with_alerts
from carecoord.services.alerts.rules import AlertRules
from carecoord.services.care.record import ClientRecord
from carecoord.services.checkins.instruments import INSTRUMENTS
from carecoord.services.checkins.record import CheckIn, CheckInRecord, Vitals
from carecoord.services.kernel.clinical_time import happened
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork, named_for

E = TypeVar("E", bound=CareEvent)


def _on_record(
    stamp: Stamp,
    client_id: UUID,
    occurred_at: datetime | None,
    rules: AlertRules,
    decide: Callable[[CheckInRecord, datetime | None], E],
    field: str = "occurredAt",
) -> Command[UUID]:
    """A command on an enrolled client's check-in record; returns the new event's id. A
    refused time names ``field``, the input that gave it (a screen's is ``collectedAt``).
    ``decide`` records at the time that happened (``happened``): one given a few minutes
    ahead counts from its recording, so a reading taken after it on a clock that is right
    is not "before the latest" (the QTc rule would pass it by), nor its alert raised on a
    day that has not begun. The command is named for the one that built ``decide``
    (``record_check_in``...)."""

    def run(uow: UnitOfWork) -> UUID:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        when = happened(field, occurred_at, now=stamp.clock(), enrolled_at=client.enrolled_at)
        record = uow.get(CheckInRecord, client_id)
        return with_alerts(uow, client_id, rules, lambda: decide(record, when)).event_id

    return named_for(run, decide)


def record_check_in(
    stamp: Stamp,
    *,
    client_id: UUID,
    check_in: CheckIn,
    occurred_at: datetime | None = None,
    rules: AlertRules,
) -> Command[UUID]:
    checkin_id = uuid4()
    return _on_record(
        stamp,
        client_id,
        occurred_at,
        rules,
        lambda record, when: record.record_check_in(stamp, checkin_id, check_in, when),
    )


def score_instrument(
    stamp: Stamp,
    *,
    client_id: UUID,
    instrument: Instrument,
    answers: Mapping[str, int],
    occurred_at: datetime | None = None,
    rules: AlertRules,
) -> Command[UUID]:
    assessment_id = uuid4()
    spec = INSTRUMENTS[instrument]
    return _on_record(
        stamp,
        client_id,
        occurred_at,
        rules,
        lambda record, when: record.score_instrument(stamp, assessment_id, spec, answers, when),
    )


def record_drug_screen(
    stamp: Stamp,
    *,
    client_id: UUID,
    method: ScreenMethod,
    results: Mapping[str, AnalyteFinding],
    occurred_at: datetime | None = None,
    confirms: UUID | None = None,
    rules: AlertRules,
) -> Command[UUID]:
    screen_id = uuid4()
    return _on_record(
        stamp,
        client_id,
        occurred_at,
        rules,
        lambda record, when: record.record_drug_screen(
            stamp, screen_id, method, results, when, confirms
        ),
        field="collectedAt",
    )


def record_vital_signs(
    stamp: Stamp,
    *,
    client_id: UUID,
    vitals: Vitals,
    occurred_at: datetime | None = None,
    rules: AlertRules,
) -> Command[UUID]:
    vitals_id = uuid4()
    return _on_record(
        stamp,
        client_id,
        occurred_at,
        rules,
        lambda record, when: record.record_vital_signs(stamp, vitals_id, vitals, when),
    )


def mark_entered_in_error(
    stamp: Stamp, *, client_id: UUID, entry_id: UUID, reason: str, rules: AlertRules
) -> Command[UUID]:
    """An entry recorded in error is corrected by a new event, never by editing it; any alert
    it raised stays for the care team to resolve (``services/alerts/record.py``), and the
    readings left raise the run it hid (``evaluation._sustained_without``). Answers with the
    entry's id as the caller gave it."""

    def run(uow: UnitOfWork) -> UUID:
        record = uow.get(CheckInRecord, client_id)
        with_alerts(uow, client_id, rules, lambda: record.enter_in_error(stamp, entry_id, reason))
        return entry_id

    return run
