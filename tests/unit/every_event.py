"""One client's record holding every type of event the store keeps, in a plausible order,
built directly from the catalog: for tests of what reads the whole record (exports)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4

from carecoord.events import Actor, CareEvent, Kind, Role, Schedule
from carecoord.events.access import (
    BreakGlassUsed,
    DisclosureIntended,
    DisclosureRecorded,
    DisclosureWithdrawn,
)
from carecoord.events.alerts import AlertAcknowledged, AlertRaised, AlertResolved
from carecoord.events.care import (
    ClientDischarged,
    ClientEnrolled,
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
from carecoord.events.careteam import CareTeamMemberAssigned, CareTeamMemberEnded
from carecoord.events.checkins import (
    AnalyteFinding,
    AnalyteResult,
    CheckInEnteredInError,
    CheckInRecorded,
    DrugScreenResulted,
    Entry,
    Instrument,
    InstrumentScored,
    ReportSource,
    ScreenMethod,
    VitalSignsRecorded,
)
from carecoord.events.consent import (
    ConsentExpired,
    ConsentRecorded,
    ConsentRevoked,
    ExpiryEvent,
    Recipient,
    RecipientType,
)
from carecoord.events.medication import (
    Attempt,
    Dispensing,
    DoseAdministered,
    DoseChanged,
    DoseEnteredInError,
    DoseMissed,
    DoseNotGiven,
    DoseNotGivenEnteredInError,
    ExposureEvidence,
    GuestDosingArranged,
    GuestDosingEnded,
    HardStopRefused,
    Implicated,
    InteractionFound,
    MedicationPrescribed,
    MedicationStatementEnded,
    MedicationStatementEnteredInError,
    MedicationStatementRecorded,
    NotGivenReason,
    OrderDiscontinued,
    OrderEnteredInError,
    OrderHeld,
    OrderReinstated,
    OrderResumed,
    OverrideAcknowledged,
    QtcEvidence,
    ReturnedBottle,
    Severity,
    StatementSource,
    TakeHomeBottle,
    TakeHomeCriterion,
    TakeHomeDispensed,
    TakeHomeEligibilityDetermined,
    TakeHomeEnteredInError,
    TakeHomeReturned,
    TakeHomeReturnWitnessed,
    TaperOrdered,
    TaperStep,
)
from carecoord.events.therapy import (
    CancellationReason,
    CounselingNoteEnteredInError,
    CounselingNoteRecorded,
    Modality,
    SessionAttended,
    SessionCancelled,
    SessionFormat,
    SessionLateCancelled,
    SessionNoShow,
    SessionNoteEnteredInError,
    SessionNoteRecorded,
    SessionOutcome,
    SessionOutcomeCorrected,
    SessionScheduled,
)

E = TypeVar("E", bound=CareEvent)

ADMIN = Actor(id="admin-1", role=Role.PROGRAM_ADMIN)
DOCTOR = Actor(id="dr-lee", role=Role.PRESCRIBER)
NURSE = Actor(id="nurse-kim", role=Role.NURSE)
THERAPIST = Actor(id="th-ray", role=Role.THERAPIST)
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Record:
    """Events of one client, one an hour from START (or ``at`` a given moment), each stamped
    as a command would."""

    def __init__(self, client_id: UUID | None = None) -> None:
        self.client_id = client_id or uuid4()
        self.events: list[CareEvent] = []

    def add(self, cls: type[E], actor: Actor, at: datetime | None = None, /, **facts: Any) -> E:
        at = at or START + timedelta(hours=len(self.events))
        event = cls(
            event_id=uuid4(),
            client_id=self.client_id,
            occurred_at=at,
            recorded_at=at,
            actor=actor,
            correlation_id=uuid4(),
            **facts,
        )
        self.events.append(event)
        return event


def every_event(client_id: UUID | None = None) -> Record:
    r = Record(client_id)
    _care(r)
    _consent(r)
    order = _orders(r)
    _window(r, order)
    _therapy(r)
    _checkins(r)
    _statement_in_error(r)
    _not_given_in_error(r, order)
    _episode_in_error(r)
    _episode(r)
    return r


def _episode(r: Record) -> None:
    """Discharged, then readmitted: the record's last two events."""
    discharged = r.add(
        ClientDischarged, DOCTOR, reason=DischargeReason.TRANSFERRED, admitted_at=START,
        level=LevelOfCare.INTENSIVE_OUTPATIENT, note="to a program nearer home",
    )  # fmt: skip
    r.add(ClientReadmitted, ADMIN, program="North OTP", discharged_at=discharged.occurred_at)


def _episode_in_error(r: Record) -> None:
    """A discharge and the readmission after it, each marked entered in error (the
    readmission first): the first episode goes on."""
    discharged = r.add(
        ClientDischarged, DOCTOR, reason=DischargeReason.DECEASED, admitted_at=START,
        level=LevelOfCare.INTENSIVE_OUTPATIENT,
    )  # fmt: skip
    readmitted = r.add(
        ClientReadmitted, DOCTOR, program="North OTP", discharged_at=discharged.occurred_at
    )
    r.add(ReadmissionEnteredInError, DOCTOR, entry_event_id=readmitted.event_id,
          reason="another client's readmission", readmitted_at=readmitted.occurred_at,
          discharged_at=discharged.occurred_at)  # fmt: skip
    r.add(DischargeEnteredInError, DOCTOR, entry_event_id=discharged.event_id,
          reason="another client's death", discharged_at=discharged.occurred_at,
          admitted_at=START)  # fmt: skip


def _not_given_in_error(r: Record, order_id: UUID) -> None:
    about = {"order_id": order_id, "medication": "methadone", "day": date(2026, 2, 5), "slot": 1}
    wrong = r.add(DoseNotGiven, NURSE, reason=NotGivenReason.DECLINED, **about)
    r.add(DoseNotGivenEnteredInError, NURSE, entry_id=wrong.event_id, reason="the wrong day",
          **about)  # fmt: skip


def _statement_in_error(r: Record) -> None:
    wrong = r.add(
        MedicationStatementRecorded, NURSE, statement_id=uuid4(), medication="tramadol",
        source=StatementSource.CLIENT,
    )  # fmt: skip
    r.add(MedicationStatementEnteredInError, NURSE, statement_id=wrong.statement_id,
          medication="tramadol", reason="another client's report")  # fmt: skip


def _care(r: Record) -> None:
    r.add(ClientEnrolled, ADMIN, display_name="Jo R.", program="North OTP")
    r.add(CareTeamMemberAssigned, ADMIN, member_id=DOCTOR.id, role=Role.PRESCRIBER)
    r.add(CareTeamMemberAssigned, ADMIN, member_id=NURSE.id, role=Role.NURSE)
    r.add(CareTeamMemberAssigned, ADMIN, member_id=THERAPIST.id, role=Role.THERAPIST)
    r.add(LevelOfCareChanged, DOCTOR, level=LevelOfCare.RESIDENTIAL, asam_level="3.7")
    r.add(
        LevelOfCareChanged,
        DOCTOR,
        level=LevelOfCare.INTENSIVE_OUTPATIENT,
        previous_level=LevelOfCare.RESIDENTIAL,
        reason="stable",
    )
    goal = r.add(
        TreatmentGoalSet, THERAPIST, goal_id=uuid4(), description="Stay abstinent",
        target_date=date(2026, 6, 1),
    )  # fmt: skip
    r.add(
        GoalProgressRecorded, THERAPIST, goal_id=goal.goal_id, description="Stay abstinent",
        achievement=GoalAchievement.ACHIEVED, note="Four weeks clean",
    )  # fmt: skip


def _consent(r: Record) -> None:
    clinic = Recipient(type=RecipientType.ORGANIZATION, id="clinic_north", name="North Clinic")
    pcp = Recipient(type=RecipientType.MEMBER, id="pcp-1")
    kept = r.add(
        ConsentRecorded, ADMIN, consent_id=uuid4(), recipients=(clinic, pcp),
        purpose="coordination with primary care", data_kinds=(Kind.MEDICATION, Kind.DOSING),
        expires_at=START + timedelta(days=365), expiry_event="end of treatment",
        signed_on=date(2026, 1, 5), signed_by="Jo R.",
    )  # fmt: skip
    revoked = r.add(
        ConsentRecorded, ADMIN, consent_id=uuid4(), recipients=(pcp,), purpose="a study",
        data_kinds=(Kind.CHECK_IN,), signed_on=date(2026, 1, 5), signed_by="Jo R.",
    )  # fmt: skip
    r.add(ConsentRevoked, ADMIN, consent_id=revoked.consent_id, reason="changed my mind")
    until_discharge = r.add(
        ConsentRecorded, ADMIN, consent_id=uuid4(), recipients=(pcp,), purpose="shared care",
        data_kinds=(Kind.CARE,), expires_on=ExpiryEvent.DISCHARGE, signed_on=date(2026, 1, 5),
        signed_by="Jo R.",
    )  # fmt: skip
    r.add(
        ConsentExpired, DOCTOR, consent_id=until_discharge.consent_id,
        expired_on=ExpiryEvent.DISCHARGE,
    )  # fmt: skip
    glass = r.add(
        BreakGlassUsed, Actor(id="dr-er", role=Role.PRESCRIBER), access_id=uuid4(),
        member_id="dr-er", role=Role.PRESCRIBER, reason="Unresponsive at the ER door",
        expires_at=START + timedelta(days=1), policy_version="access-2026.1",
    )  # fmt: skip
    r.add(
        DisclosureRecorded, ADMIN, disclosure_id=uuid4(), recipient=clinic,
        purpose="coordination", data_kinds=(Kind.MEDICATION,), description="2 orders",
        consent_id=kept.consent_id, notice="42 CFR part 2 prohibits unauthorized disclosure",
    )  # fmt: skip
    r.add(
        DisclosureRecorded, ADMIN, disclosure_id=uuid4(), recipient=clinic,
        purpose="emergency", data_kinds=(Kind.MEDICATION,), description="current doses",
        break_glass_id=glass.access_id, notice="42 CFR part 2 prohibits unauthorized disclosure",
    )  # fmt: skip
    forwarder = Actor(id="disclose-clinic_north", role=Role.SYSTEM)
    for went in (True, False):
        intent = r.add(
            DisclosureIntended, forwarder, disclosure_id=uuid4(), recipient=clinic,
            purpose="coordination", data_kinds=(Kind.CARE,), description="1 event(s) sent",
            consent_id=kept.consent_id, notice="42 CFR part 2 prohibits unauthorized disclosure",
            event_ids=(r.events[0].event_id,), positions=(1,),
        )  # fmt: skip
        if went:
            r.add(
                DisclosureRecorded, forwarder, disclosure_id=intent.disclosure_id,
                recipient=clinic, purpose=intent.purpose, data_kinds=intent.data_kinds,
                description=intent.description, consent_id=kept.consent_id,
                notice=intent.notice, event_ids=intent.event_ids,
            )  # fmt: skip
        else:
            r.add(
                DisclosureWithdrawn, forwarder, disclosure_id=intent.disclosure_id,
                recipient=clinic, consent_id=kept.consent_id,
                reason="the consent it relied on was no longer in force",
            )  # fmt: skip


ORDER = {"medication": "methadone", "unit": "mg", "route": "oral", "schedule": Schedule()}


def _orders(r: Record) -> UUID:
    first = r.add(
        MedicationPrescribed, DOCTOR, order_id=uuid4(), dose=Decimal(60), start=date(2026, 1, 5),
        indication="opioid use disorder", **ORDER,
    )  # fmt: skip
    r.add(OrderHeld, DOCTOR, order_id=first.order_id, medication="methadone", reason="3 missed",
          rule_id="missed-doses", rule_version="1", day=date(2026, 1, 8))  # fmt: skip
    r.add(OrderResumed, DOCTOR, order_id=first.order_id, medication="methadone")
    changed = r.add(
        DoseChanged, DOCTOR, order_id=uuid4(), dose=Decimal("72.5"), start=date(2026, 1, 10),
        prior_order_id=first.order_id, prior_dose=Decimal(60), reason="cravings", **ORDER,
    )  # fmt: skip
    taper = r.add(
        TaperOrdered, DOCTOR, order_id=uuid4(), dose=Decimal(70), start=date(2026, 2, 1),
        end=date(2026, 3, 1), prior_order_id=changed.order_id, blind=True,
        steps=(TaperStep(start=date(2026, 2, 1), dose=Decimal(70)),
               TaperStep(start=date(2026, 2, 15), dose=Decimal(60))), **ORDER,
    )  # fmt: skip
    wrong = r.add(
        MedicationPrescribed, DOCTOR, order_id=uuid4(), dose=Decimal(8), start=date(2026, 1, 5),
        medication="buprenorphine", unit="mg", route="sublingual", schedule=Schedule(),
    )  # fmt: skip
    r.add(OrderEnteredInError, DOCTOR, order_id=wrong.order_id, medication="buprenorphine",
          reason="wrong client")  # fmt: skip
    statement = r.add(
        MedicationStatementRecorded, DOCTOR, statement_id=uuid4(), medication="citalopram",
        dose=Decimal(20), unit="mg", source=StatementSource.OTHER_PRESCRIBER,
        source_detail="Dr. Ames, psychiatry", since=date(2025, 6, 1),
    )  # fmt: skip
    found = r.add(
        InteractionFound, DOCTOR, finding_id=uuid4(), rule_id="qt-methadone", rule_version="2",
        severity=Severity.HIGH, title="Methadone with a QT-prolonging drug", source="label",
        implicated=(
            Implicated(id=taper.order_id, medication="methadone"),
            Implicated(id=statement.statement_id, medication="citalopram", is_statement=True),
        ),
        acknowledged_reason="ECG weekly",
        qtc=QtcEvidence(vitals_id=uuid4(), qtc_ms=455, measured_at=START),
        exposure=ExposureEvidence(id=statement.statement_id, medication="citalopram",
                                  basis="taken now"),
    )  # fmt: skip
    r.add(
        InteractionFound, DOCTOR, finding_id=uuid4(), rule_id="methadone-qtc-prolonged",
        rule_version="1", severity=Severity.MODERATE, title="methadone: QTc 470 ms (451-499)",
        source="Krantz 2009", implicated=(Implicated(id=taper.order_id, medication="methadone"),),
        qtc=QtcEvidence(vitals_id=uuid4(), qtc_ms=470, measured_at=START),
    )  # fmt: skip
    attempt = Attempt(action="prescribe", medication="naltrexone", dose=Decimal(50), unit="mg")
    r.add(
        HardStopRefused, DOCTOR, refusal_id=uuid4(), rule_id="naltrexone-opioid",
        rule_version="1", severity=Severity.HIGH, field="medication",
        message="opioid in the last 7 days", source="label", attempted=attempt,
    )  # fmt: skip
    r.add(
        OverrideAcknowledged, DOCTOR, override_id=uuid4(), rule_id="qt-methadone",
        rule_version="2", severity=Severity.HIGH, reason="benefit outweighs the risk",
        attempted=Attempt(action="taper", medication="methadone"), order_id=taper.order_id,
        finding_id=found.finding_id,
    )  # fmt: skip
    r.add(MedicationStatementEnded, DOCTOR, statement_id=statement.statement_id,
          medication="citalopram", reason="stopped by psychiatry")  # fmt: skip
    r.add(
        TakeHomeEligibilityDetermined, DOCTOR, max_days=6, basis="stable for 90 days",
        criteria=(TakeHomeCriterion(criterion="no recent misuse", met=True),),
    )  # fmt: skip
    _reinstated(r)
    return taper.order_id


def _reinstated(r: Record) -> None:
    """A dose change marked in error puts the order it replaced back in force."""
    ordered = {"medication": "disulfiram", "unit": "mg", "route": "oral", "schedule": Schedule()}
    ordered |= {"dispensing": Dispensing.PHARMACY}
    first = r.add(
        MedicationPrescribed, DOCTOR, order_id=uuid4(), dose=Decimal(250),
        start=date(2026, 1, 5), **ordered,
    )  # fmt: skip
    change = r.add(
        DoseChanged, DOCTOR, order_id=uuid4(), dose=Decimal(500), start=date(2026, 1, 20),
        prior_order_id=first.order_id, prior_dose=Decimal(250), **ordered,
    )  # fmt: skip
    r.add(OrderEnteredInError, DOCTOR, order_id=change.order_id, medication="disulfiram",
          reason="meant for another client")  # fmt: skip
    r.add(
        OrderReinstated, DOCTOR, order_id=first.order_id, medication="disulfiram",
        in_error_order_id=change.order_id, start=date(2026, 1, 21),
        reason="meant for another client",
    )  # fmt: skip


def _window(r: Record, order_id: UUID) -> None:
    dispensed = {"order_id": order_id, "medication": "methadone", "unit": "mg"}
    dispensed |= {"dosage_form": "oral solution", "strength": "10 mg/mL", "dea_schedule": "CII"}
    first = r.add(
        DoseAdministered, NURSE, dose_id=uuid4(), amount=Decimal(70), slot=1,
        day=date(2026, 2, 2), lot="L-1", bottle="B-1", **dispensed,
    )  # fmt: skip
    r.add(
        DoseAdministered, NURSE, dose_id=uuid4(), amount=Decimal(70), slot=1,
        day=date(2026, 2, 2), replaces_dose_id=first.dose_id, replacement_reason="vomited",
        **dispensed,
    )  # fmt: skip
    wrong = r.add(
        DoseAdministered, NURSE, dose_id=uuid4(), amount=Decimal(70), slot=1,
        day=date(2026, 2, 5), lot="L-1", **dispensed,
    )  # fmt: skip
    r.add(
        DoseEnteredInError, NURSE, dose_id=wrong.dose_id, amount=Decimal(70), slot=1,
        day=date(2026, 2, 5), lot="L-1", reason="charted on the wrong client",
        corrected_on=date(2026, 2, 5), **dispensed,
    )  # fmt: skip
    r.add(DoseNotGiven, NURSE, order_id=order_id, medication="methadone", day=date(2026, 2, 3),
          slot=1, reason=NotGivenReason.INTOXICATED, note="smelled of alcohol")  # fmt: skip
    r.add(DoseMissed, NURSE, order_id=order_id, medication="methadone", day=date(2026, 2, 4),
          consecutive_days=1, rule_id="missed-doses", rule_version="1")  # fmt: skip
    bottles = tuple(
        TakeHomeBottle(day=date(2026, 2, d), slot=1, amount=Decimal(70), bottle=f"B-{d}", lot="L-2")
        for d in (6, 7)
    )
    home = r.add(
        TakeHomeDispensed, NURSE, dispense_id=uuid4(), bottles=bottles, days_covered=2,
        day_in_treatment=32, cap_days=2, cap_rule="take-home-cap", cap_rule_version="2024",
        **dispensed,
    )  # fmt: skip
    back = ReturnedBottle(dispense_id=home.dispense_id, day=date(2026, 2, 7), slot=1,
                          bottle="B-7", lot="L-2", amount=Decimal(70), full=True)  # fmt: skip
    returned = r.add(TakeHomeReturned, NURSE, return_id=uuid4(), bottles=(back,),
                     witness_id="nurse-ola", day=date(2026, 2, 6), **dispensed)  # fmt: skip
    r.add(TakeHomeReturnWitnessed, Actor(id="nurse-ola", role=Role.NURSE),
          return_id=returned.return_id, bottles=(back,), unit=returned.unit,
          order_id=returned.order_id, medication=returned.medication)  # fmt: skip
    _take_home_in_error(r, dispensed)
    guest = r.add(
        GuestDosingArranged, NURSE, guest_dosing_id=uuid4(), site="South OTP",
        start=date(2026, 2, 10), end=date(2026, 2, 20),
    )  # fmt: skip
    r.add(GuestDosingEnded, NURSE, guest_dosing_id=guest.guest_dosing_id, site="South OTP",
          ended_on=date(2026, 2, 15))  # fmt: skip
    r.add(OrderDiscontinued, DOCTOR, order_id=order_id, medication="methadone",
          reason="taper completed")  # fmt: skip


def _take_home_in_error(r: Record, dispensed: dict[str, Any]) -> None:
    """A take-home charted for the wrong client, marked entered in error."""
    bottles = (
        TakeHomeBottle(day=date(2026, 2, 8), slot=1, amount=Decimal(70), bottle="B-8", lot="L-2"),
    )
    covered = {"bottles": bottles, "days_covered": 1}
    wrong = r.add(
        TakeHomeDispensed, NURSE, dispense_id=uuid4(), day_in_treatment=34, cap_days=3,
        cap_rule="take-home-cap", cap_rule_version="2024", day=date(2026, 2, 7), **covered,
        **dispensed,
    )  # fmt: skip
    r.add(
        TakeHomeEnteredInError, NURSE, dispense_id=wrong.dispense_id, reason="wrong client",
        handed_over_on=date(2026, 2, 7), corrected_on=date(2026, 2, 7), **covered, **dispensed,
    )  # fmt: skip


def _therapy(r: Record) -> None:
    booked: dict[str, Any] = {"modality": Modality.CBT, "format": SessionFormat.INDIVIDUAL}
    booked |= {"clinician_id": THERAPIST.id, "planned_minutes": 50}
    sessions = []
    for days in (1, 2, 3, 4):
        session = r.add(
            SessionScheduled, THERAPIST, session_id=uuid4(),
            scheduled_for=START + timedelta(days=days), **booked,
        )  # fmt: skip
        sessions.append(session.session_id)
    attended, cancelled, missed, called_off = sessions
    r.add(SessionAttended, THERAPIST, session_id=attended, modality=Modality.CBT,
          duration_minutes=45)  # fmt: skip
    r.add(SessionNoteRecorded, THERAPIST, session_id=attended, note="Worked on triggers.")
    r.add(CounselingNoteRecorded, THERAPIST, session_id=attended, note="Private notes.")
    wrong = r.add(SessionNoteRecorded, THERAPIST, session_id=attended, note="Another's notes.")
    r.add(SessionNoteEnteredInError, THERAPIST, session_id=attended, note_id=wrong.event_id,
          reason="written on the wrong client's session")  # fmt: skip
    misfiled = r.add(CounselingNoteRecorded, THERAPIST, session_id=attended, note="Misfiled.")
    r.add(CounselingNoteEnteredInError, THERAPIST, session_id=attended, note_id=misfiled.event_id,
          reason="written on the wrong client's session")  # fmt: skip
    r.add(SessionLateCancelled, THERAPIST, session_id=cancelled, modality=Modality.CBT,
          reason="car broke down")  # fmt: skip
    r.add(SessionCancelled, THERAPIST, session_id=called_off, modality=Modality.CBT,
          reason=CancellationReason.CLINICIAN_UNAVAILABLE, note="therapist off sick")  # fmt: skip
    no_show = r.add(SessionNoShow, THERAPIST, session_id=missed, modality=Modality.CBT)
    r.add(SessionOutcomeCorrected, THERAPIST, session_id=missed, modality=Modality.CBT,
          corrects_event_id=no_show.event_id, previous_outcome=SessionOutcome.NO_SHOW,
          outcome=SessionOutcome.ATTENDED, duration_minutes=30,
          reason="came in late; attendance sheet misread")  # fmt: skip


def _checkins(r: Record) -> None:
    r.add(
        CheckInRecorded, NURSE, checkin_id=uuid4(), source=ReportSource.CLINICIAN, craving=40,
        mood=6, sleep_hours=Decimal("6.5"), sleep_quality=5, side_effects=("sweating",),
        substance_use=True, substances=("alcohol",), note="rough week",
    )  # fmt: skip
    phq = {f"q{n}": 1 for n in range(1, 10)}
    phq9 = r.add(
        InstrumentScored, NURSE, assessment_id=uuid4(), instrument=Instrument.PHQ9,
        source=ReportSource.SELF_REPORT, answers=phq, total=9, band="mild",
        scoring_version="phq9-1",
    )  # fmt: skip
    r.add(
        CheckInEnteredInError, NURSE, entry=Entry.INSTRUMENT, entry_id=phq9.assessment_id,
        entry_event_id=phq9.event_id, instrument=Instrument.PHQ9, reason="item 9 mistyped",
    )  # fmt: skip
    r.add(
        DrugScreenResulted, NURSE, screen_id=uuid4(), method=ScreenMethod.PRESUMPTIVE,
        results=(
            AnalyteFinding(analyte="fentanyl", result=AnalyteResult.POSITIVE,
                           cutoff_ng_ml=Decimal(1)),
            AnalyteFinding(analyte="methadone", result=AnalyteResult.INCONCLUSIVE),
        ),
    )  # fmt: skip
    vitals = r.add(
        VitalSignsRecorded, NURSE, vitals_id=uuid4(), qtc_ms=455, pulse_bpm=72,
        systolic_mmhg=120, diastolic_mmhg=80, respiratory_rate=14, spo2_percent=98,
    )  # fmt: skip
    alert = r.add(
        AlertRaised, Actor(id="system", role=Role.SYSTEM), alert_id=uuid4(),
        rule_id="fentanyl-positive", rule_version="1", severity=Severity.HIGH,
        title="Fentanyl-positive screen", detail="fentanyl positive", action="naloxone kit",
        evidence=(vitals.event_id,),
    )  # fmt: skip
    r.add(AlertAcknowledged, NURSE, alert_id=alert.alert_id, rule_id=alert.rule_id,
          note="called the client")  # fmt: skip
    r.add(AlertResolved, NURSE, alert_id=alert.alert_id, rule_id=alert.rule_id,
          note="seen; kit given")  # fmt: skip
    r.add(CareTeamMemberEnded, ADMIN, member_id=NURSE.id, role=Role.NURSE, reason="left")
