"""Commands on a client's place in the program.

A client is not enrolled under the id a site's stock goes by (``stock_id``): the site's
receipts, counts and waste carry it as their client id, and would read as that client's
record (their timeline, what is disclosed for them)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from carecoord.events import Role
from carecoord.events.care import DischargeReason, GoalAchievement, LevelOfCare
from carecoord.services.alerts.recall import recall
from carecoord.services.alerts.record import AlertRecord
from carecoord.services.alerts.rules import DEFAULT_ALERT_RULES, AlertRules
from carecoord.services.care import discharge as closing
from carecoord.services.care.record import ClientRecord, Since
from carecoord.services.care.upstream import upstream_client
from carecoord.services.consent.record import ConsentRecord
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork, on
from carecoord.services.medication.record import MedicationRecord
from carecoord.services.stock.record import SiteStock
from carecoord.services.therapy.record import HAPPENED, TherapyRecord


def enroll_client(
    stamp: Stamp,
    *,
    display_name: str,
    program: str,
    client_id: UUID | None = None,
    upstream_id: UUID | None = None,
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    """``client_id`` is the client's own id; ``upstream_id`` another system's, from which
    the program's client is drawn (``services/care/upstream.py``); neither: a new id."""
    new_id = client_id or (
        uuid4() if upstream_id is None else upstream_client(program, upstream_id)
    )

    def run(uow: UnitOfWork) -> UUID:
        if upstream_id is not None:  # enrolled under the upstream id itself before
            uow.get(ClientRecord, upstream_id).not_enrolled_in(program)
        if uow.get(SiteStock, new_id).exists:
            raise RuleViolation(
                "clientId",
                "site-stock-id",
                f"{new_id} is the id a site's stock goes by; enroll the client under another",
            )
        uow.get(ClientRecord, new_id).enroll(
            stamp, display_name=display_name, program=program, occurred_at=occurred_at
        )
        return new_id

    return run


def discharge_client(
    stamp: Stamp,
    *,
    client_id: UUID,
    reason: DischargeReason,
    note: str = "",
    discharged_at: datetime | None = None,
    rules: AlertRules = DEFAULT_ALERT_RULES,
) -> Command[UUID]:
    """End the client's treatment episode, refused while a medication order of theirs is in
    force (``ClientRecord.discharge``); the sessions booked after it and a guest-dosing
    arrangement in force are closed with it, and the consents given until discharge expire
    (``discharge.py``)."""

    def run(uow: UnitOfWork) -> UUID:
        orders = uow.get(MedicationRecord, client_id)
        therapy = uow.get(TherapyRecord, client_id)
        client = uow.get(ClientRecord, client_id)
        client.discharge(
            stamp,
            reason,
            note=note,
            discharged_at=discharged_at,
            in_force=lambda day: {o: orders.orders[o].written_by for o in orders.in_force_on(day)},
            last_given=orders.last_given(),
            last_session=therapy.last_held(),
            last_ordered=orders.last_ordered,
        )
        ended = client.discharged_at or stamp.clock()
        closing.end_guest_dosing(orders, stamp, ended)
        closing.cancel_sessions(therapy, stamp, ended, client.enrolled_at)
        closing.expire_consents(uow.get(ConsentRecord, client_id), stamp, ended)
        discharged = client.pending[-1].event
        recall(uow.get(AlertRecord, client_id), orders, discharged, stamp.day, rules)
        return client_id

    return run


def readmit_client(
    stamp: Stamp, *, client_id: UUID, readmitted_at: datetime | None = None
) -> Command[UUID]:
    return on(
        ClientRecord,
        client_id,
        client_id,
        lambda client: client.readmit(stamp, readmitted_at=readmitted_at),
    )


def mark_discharge_in_error(
    stamp: Stamp, *, client_id: UUID, discharge_id: UUID, reason: str
) -> Command[UUID]:
    """Mark the client's discharge standing now entered in error: the episode it ended goes
    on. What it closed (sessions, guest dosing, consents given until discharge) stays
    closed (docs/episodes.md)."""
    return on(
        ClientRecord,
        client_id,
        discharge_id,
        lambda client: client.mark_discharge_in_error(stamp, discharge_id, reason),
    )


def mark_readmission_in_error(
    stamp: Stamp, *, client_id: UUID, readmission_id: UUID, reason: str
) -> Command[UUID]:
    """Mark the client's readmission standing now entered in error: they are out of
    treatment again from the discharge it ended, refused while what was recorded for the
    episode it began would be out of treatment (``ClientRecord.mark_readmission_in_error``)."""

    def run(uow: UnitOfWork) -> UUID:
        client = uow.get(ClientRecord, client_id)
        client.require_enrolled()
        orders = uow.get(MedicationRecord, client_id)
        sessions = uow.get(TherapyRecord, client_id).sessions.values()
        since = Since(
            last_given=orders.last_given(),
            last_ordered=orders.last_written(),
            last_session=max(
                (s.scheduled_for for s in sessions if s.open or s.outcome in HAPPENED),
                default=None,
            ),
            guest_dosed_until=max(
                (g.end for g in orders.guest_dosing.values() if g.end >= g.start), default=None
            ),
        )
        client.mark_readmission_in_error(stamp, readmission_id, reason, since)
        return readmission_id

    return run


def change_level_of_care(
    stamp: Stamp,
    *,
    client_id: UUID,
    level: LevelOfCare,
    asam_level: str = "",
    reason: str = "",
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    return on(
        ClientRecord,
        client_id,
        client_id,
        lambda client: client.change_level_of_care(
            stamp, level, asam_level=asam_level, reason=reason, occurred_at=occurred_at
        ),
    )


def set_treatment_goal(
    stamp: Stamp,
    *,
    client_id: UUID,
    description: str,
    target_date: date | None = None,
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    goal_id = uuid4()
    return on(
        ClientRecord,
        client_id,
        goal_id,
        lambda client: client.set_goal(stamp, goal_id, description, target_date, occurred_at),
    )


def record_goal_progress(
    stamp: Stamp,
    *,
    client_id: UUID,
    goal_id: UUID,
    achievement: GoalAchievement,
    note: str = "",
    occurred_at: datetime | None = None,
) -> Command[UUID]:
    return on(
        ClientRecord,
        client_id,
        goal_id,
        lambda client: client.record_goal_progress(stamp, goal_id, achievement, note, occurred_at),
    )


def goal_writers(client_id: UUID) -> Command[dict[UUID, Role]]:
    """The role each of the client's goals was set in, by goal id: what a progress step on
    it restates tells whatever that role reads. Records nothing."""

    def run(uow: UnitOfWork) -> dict[UUID, Role]:
        goals = uow.get(ClientRecord, client_id).goals
        return {goal_id: goal.set_by for goal_id, goal in goals.items()}

    return run
