"""The client record aggregate: whether and where a client is enrolled, their treatment
episodes (discharge and readmission), their level of care over time and their treatment
plan goals.

A discharge ends the episode: while the client is discharged, and for any time between a
discharge and the readmission after it, no dose, take-home, new order, booking, level of
care or goal is recorded (``require_in_treatment``, rule ``client-discharged``). It is dated
as every clinical time is, and not before the episode or its current level of care began;
a readmission is dated after the discharge it ends.

A level of care is the level and its ASAM level (FHIR EpisodeOfCare.type): a move within
residential from ASAM 3.5 to 3.7 is a new stint; the same level with the same ASAM level,
or none, is no move.

What a clinician records about them has happened (``clinical_time.plausible``): a level of
care, a goal or its progress dated in the future is refused, and so is a level dated before
the enrolment or before the current one began (a stint ending before it started) and
progress dated before its goal was set or before its latest progress (the latest says where
the goal stands: an "achieved" dated before an "improving" closed the goal). A goal may be
dated before the enrolment (a plan agreed at intake and entered with its date). The
enrolment itself is not dated in the future: every later entry is refused as before it. Any
of them dated within the clock tolerance ahead counts from its recording, so what is recorded
just after it is not dated before it (a move to outpatient recorded a minute after one to
residential dated four minutes ahead read as the move before it). An optional ASAM level,
reason or progress note that shows nothing (spaces, zero-width characters) is recorded as
none, so no view or export shows a blank one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from carecoord.events import CareEvent, ClientEnrolled, Kind, Role
from carecoord.events.bounds import said
from carecoord.events.care import (
    ClientDischarged,
    ClientReadmitted,
    DischargeEnteredInError,
    DischargeReason,
    GoalAchievement,
    GoalProgressRecorded,
    LevelOfCare,
    LevelOfCareChanged,
    ReadmissionEnteredInError,
    TreatmentGoalSet,
)
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.clinical_time import happened
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.policy import writer_sees
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.visible_names import site_named

# FHIR Goal.achievementStatus values that close a goal: no further progress is recorded.
CLOSING = frozenset({GoalAchievement.ACHIEVED, GoalAchievement.NOT_ATTAINABLE})


@dataclass(slots=True)
class Goal:
    description: str
    set_at: datetime
    set_by: Role
    """The role its writer set it in: a progress step restates its words, which tell
    whatever that role reads (``policy.writer_sees``)."""
    achievement: GoalAchievement = GoalAchievement.IN_PROGRESS
    progress_at: datetime | None = None
    """When its latest progress was dated: a step dated before it is out of order."""

    @property
    def closed(self) -> bool:
        return self.achievement in CLOSING


@dataclass(frozen=True, slots=True)
class Episode:
    """Where the client's treatment episodes stand: what a discharge or a readmission
    changes, and so what its correction (entered in error) puts back as it was."""

    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    level_of_care: LevelOfCare | None = None
    asam_level: str = ""
    level_since: datetime | None = None
    gaps: tuple[tuple[datetime, datetime | None], ...] = ()
    step_id: UUID | None = None
    """The event of the latest discharge or readmission standing; None for the enrolment."""
    reason: DischargeReason | None = None
    """Why the episode ended, while the client is discharged."""


class ClientRecord(Aggregate, context="care"):
    def __init__(self, client_id: UUID) -> None:
        super().__init__(client_id)
        self.display_name = ""
        self.program = ""
        self.enrolled_at: datetime | None = None
        self.level_of_care: LevelOfCare | None = None
        self.asam_level = ""
        self.level_since: datetime | None = None
        self.goals: dict[UUID, Goal] = {}
        self.admitted_at: datetime | None = None
        """When the current (or last) episode began: the enrolment or the latest readmission."""
        self.discharged_at: datetime | None = None
        """When the current episode ended; None while the client is in treatment."""
        self.gaps: list[tuple[datetime, datetime | None]] = []
        """(discharged, readmitted) of every time out of treatment; readmitted is None while
        it lasts."""
        self.discharge_reason: DischargeReason | None = None
        """Why the current episode ended; None while the client is in treatment."""
        self.step_id: UUID | None = None
        """The event of the latest discharge or readmission standing (not entered in
        error); None while the enrolment began the only episode."""
        self.steps: dict[type[CareEvent], set[UUID]] = {}
        """The event ids of every discharge and readmission, by their class."""
        self.in_error: set[UUID] = set()
        """The discharges and readmissions entered in error."""
        self._before: list[Episode] = []
        """How the episodes stood before each discharge or readmission standing, the
        latest last: what its correction puts back."""

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, ClientEnrolled):
            self.display_name = event.display_name
            self.program = event.program
            self.enrolled_at = self.admitted_at = event.occurred_at
        elif isinstance(event, ClientDischarged):
            self._step(event)
            self.discharged_at = event.occurred_at
            self.discharge_reason = event.reason
            self.level_of_care, self.asam_level = None, ""
            self.gaps.append((event.occurred_at, None))
        elif isinstance(event, ClientReadmitted):
            self._step(event)
            self.admitted_at = self.level_since = event.occurred_at
            self.discharged_at = self.discharge_reason = None
            self.gaps[-1] = (self.gaps[-1][0], event.occurred_at)
        elif isinstance(event, DischargeEnteredInError | ReadmissionEnteredInError):
            self.in_error.add(event.entry_event_id)
            self._restore(self._before.pop())
        elif isinstance(event, LevelOfCareChanged):
            self.level_of_care, self.level_since = event.level, event.occurred_at
            self.asam_level = event.asam_level
        elif isinstance(event, TreatmentGoalSet):
            self.goals[event.goal_id] = Goal(event.description, event.occurred_at, event.actor.role)
        elif isinstance(event, GoalProgressRecorded):
            goal = self.goals[event.goal_id]
            goal.achievement, goal.progress_at = event.achievement, event.occurred_at

    def _step(self, event: ClientDischarged | ClientReadmitted) -> None:
        """Remember how the episodes stand before a discharge or readmission changes them."""
        self.steps.setdefault(type(event), set()).add(event.event_id)
        self._before.append(
            Episode(
                self.admitted_at, self.discharged_at, self.level_of_care, self.asam_level,
                self.level_since, tuple(self.gaps), self.step_id, self.discharge_reason,
            )
        )  # fmt: skip
        self.step_id = event.event_id

    def _restore(self, before: Episode) -> None:
        self.admitted_at, self.discharged_at = before.admitted_at, before.discharged_at
        self.level_of_care, self.asam_level = before.level_of_care, before.asam_level
        self.level_since, self.gaps = before.level_since, list(before.gaps)
        self.step_id, self.discharge_reason = before.step_id, before.reason

    def enroll(
        self, stamp: Stamp, *, display_name: str, program: str, occurred_at: datetime | None
    ) -> None:
        if self.exists:
            raise self._enrolled()
        when = self._happened(stamp, occurred_at)
        self.record(
            stamp.event(
                ClientEnrolled,
                self.client_id,
                when,
                display_name=self._named(display_name),
                program=site_named("program", program),
            )
        )

    def not_enrolled_in(self, program: str) -> None:
        """Refuse a second enrolment in ``program`` of this client (one enrolled under an
        upstream system's id itself, before ids were drawn from it); another program's
        client under the id is not named, nor refused (``services/care/upstream.py``)."""
        if self.exists and self.program == site_named("program", program):
            raise self._enrolled()

    def _enrolled(self) -> RuleViolation:
        return RuleViolation(
            "clientId",
            "already-enrolled",
            f"client {self.client_id} is already enrolled",
        )

    @staticmethod
    def _named(display_name: str) -> str:
        """The name the care team knows the client by, trimmed, on one line: one of only
        spaces or zero-width characters lists the client as an empty row on every caseload,
        and a line break or tab inside splits their row and their timeline's enrolment."""
        name = said(display_name)
        if not name:
            raise InvalidInput(
                "displayName",
                "display-name",
                "name the client: displayName shows no text (only spaces or invisible characters)",
            )
        if any(ch.isspace() and ch != " " for ch in name):
            raise InvalidInput(
                "displayName",
                "display-name",
                "displayName is one line: no line breaks or tabs, spaces between words",
            )
        return name

    def require_enrolled(self) -> None:
        if not self.exists:
            raise NotFound(
                "clientId",
                "unknown-client",
                f"no client {self.client_id} is enrolled; enroll the client first",
            )

    def require_in_treatment(self, field: str, moment: datetime) -> None:
        """Refuse what is recorded for ``moment`` if the client was out of treatment then:
        after a discharge and before the readmission that ended it, if any."""
        for discharged, readmitted in self.gaps:
            if discharged <= moment and (readmitted is None or moment < readmitted):
                since = f"discharged {discharged.isoformat(timespec='minutes')}"
                until = (
                    "; readmit the client first"
                    if readmitted is None
                    else f", readmitted {readmitted.isoformat(timespec='minutes')}"
                )
                raise RuleViolation(
                    field,
                    "client-discharged",
                    f"the client was out of treatment at {moment.isoformat(timespec='minutes')}"
                    f" ({since}{until}); nothing is recorded for that time",
                )

    def in_treatment_at(self, stamp: Stamp, field: str, given: datetime | None) -> None:
        """``require_in_treatment`` for the time a caller gave in ``field``, or for now
        when they gave none: a refusal names the field they sent the time in, or
        ``clientId`` (the client is discharged now)."""
        self.require_in_treatment(
            field if given is not None else "clientId", given or stamp.clock()
        )

    def out_of_treatment(self, day_of: Callable[[datetime], date]) -> Callable[[date], bool]:
        """Whether the client was out of treatment on a program day (``day_of`` gives a
        moment's): from a discharge's day to the day before the readmission that ended it."""
        gaps = [
            (day_of(discharged), None if readmitted is None else day_of(readmitted))
            for discharged, readmitted in self.gaps
        ]

        def out(day: date) -> bool:
            return any(first <= day and (back is None or day < back) for first, back in gaps)

        return out

    def discharge(
        self,
        stamp: Stamp,
        reason: DischargeReason,
        *,
        note: str,
        discharged_at: datetime | None,
        in_force: Callable[[date], Mapping[UUID, str]],
        last_given: tuple[datetime | None, date | None] = (None, None),
        last_session: datetime | None = None,
        last_ordered: datetime | None = None,
    ) -> None:
        """End the episode. ``in_force`` names the medication orders still in force on a
        program day, each with its prescriber's user id (``MedicationRecord.in_force_on``
        and ``Order.written_by``): a discharge while one is would
        leave an order nobody may dose under and nobody reviews, so each is ended first.
        ``last_given`` is when the latest dose was given and the day of the latest take-home
        (``MedicationRecord.last_given``), ``last_session`` when the latest session attended
        or missed began (``TherapyRecord.last_held``), ``last_ordered`` when the latest order
        was written: a discharge dated before one would leave it to a client out of
        treatment, which none sent for that time could be."""
        self.require_enrolled()
        if self.discharged_at is not None:
            raise RuleViolation(
                "clientId",
                "already-discharged",
                f"the client was discharged {self.discharged_at.isoformat(timespec='minutes')};"
                " readmit them before discharging again",
            )
        after, what = self._episode_began()
        when = self._happened(stamp, discharged_at, after, what, field="dischargedAt", at=False)
        last_goal = max((goal.set_at for goal in self.goals.values()), default=None)
        latest = {"session": last_session, "goal": last_goal, "order": last_ordered}
        _after_what_happened(stamp, when or stamp.clock(), last_given, latest)
        _no_order_in_force(stamp, in_force(stamp.day(when)))
        self.record(
            stamp.event(
                ClientDischarged,
                self.client_id,
                when,
                reason=reason,
                admitted_at=self.admitted_at,
                level=self.level_of_care,
                note=said(note),
            )
        )

    def readmit(self, stamp: Stamp, *, readmitted_at: datetime | None) -> None:
        self.require_enrolled()
        discharged = self.discharged_at
        if discharged is None:
            raise RuleViolation(
                "clientId",
                "not-discharged",
                "the client is in treatment: only a discharged client is readmitted",
            )
        if self.discharge_reason is DischargeReason.DECEASED:
            raise RuleViolation(
                "clientId",
                "client-deceased",
                "the client was discharged as deceased: no episode begins after a death; if"
                " the death was recorded in error, mark the discharge entered in error"
                " (markDischargeEnteredInError) and the episode goes on",
            )
        when = self._happened(stamp, readmitted_at, field="readmittedAt")
        if (when or stamp.clock()) <= discharged:
            raise InvalidInput(
                "readmittedAt",
                "after-discharge",
                f"a readmission comes after the discharge"
                f" ({discharged.isoformat(timespec='minutes')}); give a later readmittedAt",
            )
        self.record(
            stamp.event(
                ClientReadmitted,
                self.client_id,
                when,
                program=self.program,
                discharged_at=discharged,
            )
        )

    def mark_discharge_in_error(self, stamp: Stamp, discharge_id: UUID, reason: str) -> None:
        """Mark the discharge ``discharge_id`` entered in error: the episode it ended goes
        on (``DischargeEnteredInError``). Only the discharge standing now: once a
        readmission followed it, that readmission is marked in error first."""
        self.require_enrolled()
        self._correctable(discharge_id, "dischargeId", ClientDischarged, ClientReadmitted)
        discharged, admitted = self.discharged_at, self.admitted_at
        assert discharged is not None
        assert admitted is not None
        self.record(
            stamp.event(
                DischargeEnteredInError,
                self.client_id,
                None,
                entry_event_id=discharge_id,
                reason=_why(reason),
                discharged_at=discharged,
                admitted_at=admitted,
            )
        )

    def mark_readmission_in_error(
        self, stamp: Stamp, readmission_id: UUID, reason: str, since: Since
    ) -> None:
        """Mark the readmission ``readmission_id`` entered in error: the client is out of
        treatment again from the discharge it ended (``ReadmissionEnteredInError``). Only
        the readmission standing now, and only while nothing recorded for the episode it
        began would be refused for a client out of treatment (``since``): each such entry
        is marked in error, cancelled or ended first."""
        self.require_enrolled()
        self._correctable(readmission_id, "readmissionId", ClientReadmitted, ClientDischarged)
        readmitted = self.admitted_at
        assert readmitted is not None
        assert self._before
        discharged = self._before[-1].discharged_at
        assert discharged is not None
        self._nothing_since(stamp, readmitted, since)
        self.record(
            stamp.event(
                ReadmissionEnteredInError,
                self.client_id,
                None,
                entry_event_id=readmission_id,
                reason=_why(reason),
                readmitted_at=readmitted,
                discharged_at=discharged,
            )
        )

    def _correctable(
        self, step_id: UUID, field: str, kind: type[CareEvent], next_kind: type[CareEvent]
    ) -> None:
        """Refuse to mark ``step_id`` in error unless it is the client's latest discharge or
        readmission (of ``kind``) standing: one marked already, one of another kind or
        client, or one a later step (``next_kind``) depends on."""
        said = "discharge" if kind is ClientDischarged else "readmission"
        later = "readmission" if said == "discharge" else "discharge"
        if step_id in self.in_error:
            raise RuleViolation(
                field, "already-in-error", f"the {said} is marked entered in error already"
            )
        if step_id == self.step_id and (self.discharged_at is not None) is (
            kind is ClientDischarged
        ):
            return
        if step_id not in self.steps.get(kind, set()):
            raise NotFound(field, f"unknown-{said}", f"the client has no {said} {step_id}")
        raise RuleViolation(
            field,
            f"{later}-since",
            f"a {later} was recorded after this {said}, and stands on it; mark the"
            f" {later} entered in error first (the latest step is corrected first)",
        )

    def _nothing_since(self, stamp: Stamp, readmitted: datetime, since: Since) -> None:
        """Refuse to undo a readmission while what was recorded for the episode it began
        would be refused for a client out of treatment; the refusal names what and when
        of the kinds the writer's role reads alone (``writer_sees``)."""
        facts: list[tuple[Kind, str]] = []
        dosed, handed_over = since.last_given
        if dosed is not None and dosed >= readmitted:
            facts.append((Kind.DOSING, f"a dose given {_minutes(dosed)}"))
        if handed_over is not None and handed_over >= stamp.day(readmitted):
            facts.append((Kind.DOSING, f"a take-home for {handed_over}"))
        if since.guest_dosed_until is not None and since.guest_dosed_until >= stamp.day(readmitted):
            facts.append((Kind.MEDICATION, f"guest dosing through {since.guest_dosed_until}"))
        if since.last_ordered is not None and since.last_ordered >= readmitted:
            facts.append((Kind.MEDICATION, f"an order written {_minutes(since.last_ordered)}"))
        if since.last_session is not None and since.last_session >= readmitted:
            facts.append((Kind.THERAPY, f"a session at {_minutes(since.last_session)}"))
        goals = [g.set_at for g in self.goals.values() if g.set_at >= readmitted]
        if goals:
            facts.append((Kind.THERAPY, f"a goal set {_minutes(max(goals))}"))
        if self.level_of_care is not None:
            facts.append((Kind.CARE, f"a level of care from {_minutes(self.level_since)}"))
        if facts:
            seen = writer_sees(stamp.actor.role)
            told = [fact for kind, fact in facts if kind in seen]
            if len(told) < len(facts):
                told.append("an entry of a kind your role does not read")
            raise RuleViolation(
                "readmissionId",
                "in-treatment-since",
                f"what was recorded for the episode the readmission began ({', '.join(told)})"
                " would be out of treatment without it; mark each entered in error, cancel"
                " or end it first",
            )

    def _episode_began(self) -> tuple[datetime | None, str]:
        """The latest of the episode's start and its current level of care's: a discharge
        before it would end a stint before it began."""
        if self.level_since is not None and (
            self.admitted_at is None or self.level_since > self.admitted_at
        ):
            return self.level_since, "the current level of care began"
        return self.admitted_at, "the episode began (enrolment or readmission)"

    def change_level_of_care(
        self,
        stamp: Stamp,
        level: LevelOfCare,
        *,
        asam_level: str,
        reason: str,
        occurred_at: datetime | None,
    ) -> None:
        self.require_enrolled()
        self.in_treatment_at(stamp, "occurredAt", occurred_at)
        asam_level = said(asam_level)
        if level is self.level_of_care and asam_level in ("", self.asam_level):
            asam = f" (ASAM {self.asam_level})" if self.asam_level else ""
            raise RuleViolation(
                "level",
                "same-level",
                f"the client is already at {level.value}{asam}; nothing changes",
            )
        when = self._happened(
            stamp, occurred_at, self.level_since, "the current level of care began"
        )
        self.record(
            stamp.event(
                LevelOfCareChanged,
                self.client_id,
                when,
                level=level,
                previous_level=self.level_of_care,
                asam_level=asam_level,
                reason=said(reason),
            )
        )

    def set_goal(
        self,
        stamp: Stamp,
        goal_id: UUID,
        description: str,
        target_date: date | None,
        occurred_at: datetime | None,
    ) -> None:
        self.require_enrolled()
        self.in_treatment_at(stamp, "occurredAt", occurred_at)
        description = said(description)
        if not description:
            raise InvalidInput("description", "goal-description", "describe the goal")
        when = self._happened(stamp, occurred_at, enrolment=False)
        set_on = stamp.day(when)
        if target_date is not None and target_date < set_on:
            raise InvalidInput(
                "targetDate",
                "target-before-set",
                f"the target date {target_date} is before the goal is set ({set_on});"
                " give a later date or none",
            )
        self.record(
            stamp.event(
                TreatmentGoalSet,
                self.client_id,
                when,
                goal_id=goal_id,
                description=description,
                target_date=target_date,
            )
        )

    def record_goal_progress(
        self,
        stamp: Stamp,
        goal_id: UUID,
        achievement: GoalAchievement,
        note: str,
        occurred_at: datetime | None,
    ) -> None:
        goal = self.goals.get(goal_id)
        if goal is None:
            raise NotFound("goalId", "unknown-goal", f"the client has no goal {goal_id}")
        if goal.closed:
            raise RuleViolation(
                "goalId",
                "goal-closed",
                f"the goal is closed as {goal.achievement.value}; set a new goal instead",
            )
        after, what = (
            (goal.set_at, "the goal was set")
            if goal.progress_at is None
            else (goal.progress_at, "the goal's latest progress")
        )
        when = self._happened(stamp, occurred_at, after, what, enrolment=False)
        self.record(
            stamp.event(
                GoalProgressRecorded,
                self.client_id,
                when,
                goal_id=goal_id,
                description=goal.description,
                achievement=achievement,
                note=said(note),
            )
        )

    def _happened(
        self,
        stamp: Stamp,
        occurred_at: datetime | None,
        after: datetime | None = None,
        what: str = "",
        *,
        enrolment: bool = True,
        field: str = "occurredAt",
        at: bool = True,
    ) -> datetime | None:
        """The time to record for one given: refused in the future, before enrolment (with
        ``enrolment``), or before ``after`` (when ``what`` happened; at it too, without
        ``at``: a discharge then would put it out of treatment); one within the clock
        tolerance ahead is now, so what is recorded after it is not dated before it."""
        enrolled_at = self.enrolled_at if enrolment else None
        when = happened(field, occurred_at, now=stamp.clock(), enrolled_at=enrolled_at)
        if (
            occurred_at is not None
            and after is not None
            and (occurred_at < after or (not at and occurred_at == after))
        ):
            relation = "before" if at else "at or before"
            raise InvalidInput(
                field,
                "in-order",
                f"{field} {occurred_at.isoformat()} is {relation} {what} ({after.isoformat()})",
            )
        return when


@dataclass(frozen=True, slots=True)
class Since:
    """The latest of what the client's other records hold that only a client in treatment
    is given: what a readmission's correction would leave to a client out of treatment."""

    last_given: tuple[datetime | None, date | None] = (None, None)
    """``MedicationRecord.last_given``."""
    last_ordered: datetime | None = None
    """When the latest order standing (not marked in error) was written."""
    last_session: datetime | None = None
    """When the latest session held or booked (not cancelled) begins."""
    guest_dosed_until: date | None = None
    """The last day a guest-dosing arrangement covers (none ended before it began)."""


def _minutes(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="minutes")


def _why(reason: str) -> str:
    """The correction's reason, which shows text."""
    why = said(reason)
    if not why:
        raise InvalidInput(
            "reason", "reason-required", "say why it was entered in error (wrong client, ...)"
        )
    return why


def _no_order_in_force(stamp: Stamp, orders: Mapping[UUID, str]) -> None:
    """Refuse a discharge while a medication order is in force. Its writer is told the
    order ids (``orderIds``) if their role reads the client's orders (``writer_sees``);
    a program admin, who reads no orders, is told how many (``orderCount``) and the user
    ids of the prescribers who wrote them (``prescriberIds``), whom to ask to end them:
    the ids would let them ask for what they may not read."""
    if not orders:
        return
    ending = "a prescriber discontinues each (discontinueOrder) before the discharge"
    if Kind.MEDICATION in writer_sees(stamp.actor.role):
        named = ", ".join(map(str, orders))
        raise RuleViolation(
            "clientId",
            "orders-in-force",
            f"{len(orders)} medication order(s) still in force ({named}); {ending}",
            {"orderIds": [str(o) for o in orders]},
        )
    prescribers = sorted(set(orders.values()))
    raise RuleViolation(
        "clientId",
        "orders-in-force",
        f"{len(orders)} medication order(s) still in force, written by"
        f" {', '.join(prescribers)}; {ending}",
        {"orderCount": len(orders), "prescriberIds": prescribers},
    )


LATEST_KINDS = {"session": Kind.THERAPY, "goal": Kind.THERAPY, "order": Kind.MEDICATION}
"""The kind of data each of a discharge's ``latest`` facts is."""


def _after_what_happened(
    stamp: Stamp,
    ended: datetime,
    last_given: tuple[datetime | None, date | None],
    latest: dict[str, datetime | None],
) -> None:
    """Refuse a discharge dated at or before the latest dose given (a dose at the discharge
    is out of treatment, ``require_in_treatment``), before the day of the latest take-home,
    or at or before the latest of what ``latest`` names (a session held began, a
    goal was set, an order was written), as the gap it opens would judge each. The refusal
    names what and when only of the kinds its writer's role reads (``writer_sees``): a
    program admin, who reads care and consents alone, was told when the client was last
    dosed, seen in session or prescribed for."""
    dosed, handed_over = last_given
    since: list[tuple[Kind, str]] = []
    if dosed and ended <= dosed:
        since.append((Kind.DOSING, f"a dose given {dosed.isoformat(timespec='minutes')}"))
    if handed_over is not None and stamp.day(ended) < handed_over:
        since.append((Kind.DOSING, f"a take-home handed over on {handed_over}"))
    since += [
        (LATEST_KINDS[what], f"{what} at {moment.isoformat(timespec='minutes')}")
        for what, moment in latest.items()
        if moment is not None and ended <= moment
    ]
    if since:
        seen = writer_sees(stamp.actor.role)
        told = [fact for kind, fact in since if kind in seen]
        if len(told) < len(since):
            told.append("an entry of a kind your role does not read")
        raise InvalidInput(
            "dischargedAt",
            "in-order",
            f"dischargedAt {ended.isoformat(timespec='minutes')} is before what was given to,"
            f" held or set for the client since ({', '.join(told)}); give a later dischargedAt",
        )
