"""Free text goes out only under a consent to all its writer reads, as a member is shown it:
under a consent to alerts and check-ins, a PHQ-9 item 9 alert and the client's own check-in
note go, the nurse's note acknowledging the alert and her check-in note (either may name the
dose) do not; the entries go without them, the note null and named in ``withheld``. A
treatment goal's words go by its writer alike."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from forwarding import received_by
from medication_steps import CHANGE, HOLD, NOT_GIVEN, RESUME, Clinic, mutation
from test_access import BREAK_GLASS, consent_to_organization

from carecoord.events import Actor, Role
from carecoord.events.consent import Recipient, RecipientType
from carecoord.services.consent.commands import disclose_events
from carecoord.services.kernel.aggregate import aggregate_id
from carecoord.services.kernel.stamp import Stamp
from support import Api, ahead

RECIPIENT = "crisis-line-notes"
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
ACK = mutation("AlertNoteInput", "acknowledgeAlert")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
VITALS = mutation("RecordVitalSignsInput", "recordVitalSigns")
CHECK_IN_IN_ERROR = mutation("CheckInInErrorInput", "markCheckInEnteredInError")
GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
PROGRESS = mutation("RecordGoalProgressInput", "recordGoalProgress")
IN_ERROR = mutation("DoseInErrorInput", "markDoseEnteredInError")
SCHEDULE = """mutation($i: ScheduleSessionInput!) { scheduleSession(input: $i) { id } }"""
ATTENDANCE = """mutation($i: RecordAttendanceInput!) { recordAttendance(input: $i) { id } }"""
ALERTS = """query($id: UUID!, $atLeast: Seq) {
  clientAlerts(clientId: $id, atLeast: $atLeast) { alertId } }"""


async def test_a_nurses_notes_go_only_under_a_consent_to_all_she_reads(api: Api) -> None:
    clinic = await Clinic.enroll(api, "Tam Y.")
    await consent_to_organization(
        api, clinic.client_id, RECIPIENT, ["ALERT", "CHECK_IN"],
        signed_by="Tam Y.", purpose="crisis line follow-up",
    )  # fmt: skip
    item9 = [{"item": str(n), "value": 1 if n == 9 else 0} for n in range(1, 10)]
    await clinic.nurse(SCORE, instrument="PHQ9", answers=item9)
    [alert] = await clinic.read(ALERTS)
    await clinic.nurse(ACK, alertId=alert["alertId"], note="methadone 80 mg held, called her")
    await clinic.nurse(CHECK_IN, mood=4, note="took a friend's methadone")
    await api.ok(
        CHECK_IN, {"i": {"clientId": clinic.client_id, "mood": 5, "note": "went to a meeting"}},
        role=Role.CLIENT, user=clinic.client_id,
    )  # fmt: skip
    sent = await forwarded(api, RECIPIENT)
    assert [(e["type"], e["actor"]["role"], e.get("note"), e.get("withheld")) for e in sent] == [
        ("checkins.InstrumentScored", "nurse", None, None),
        ("alerts.AlertRaised", "system", None, None),
        ("alerts.AlertAcknowledged", "nurse", None, ["note"]),
        ("checkins.CheckInRecorded", "nurse", None, ["note"]),
        ("checkins.CheckInRecorded", "client", "went to a meeting", None),
    ]


async def forwarded(api: Api, recipient: str) -> list[dict[str, Any]]:
    """What a forwarder for ``recipient`` sends of the log up to its head now."""
    return [json.loads(m.data) for m in await received_by(api.platform, recipient)]


async def test_a_goal_goes_only_under_a_consent_to_all_its_writer_reads(api: Api) -> None:
    """Under a consent to what a therapist reads, the therapist's goal goes whole, the
    prescriber's without its words (which may name the dose), null and named in
    ``withheld``."""
    clinic = await Clinic.enroll(api, "Ula C.")
    recipient = "sober-living-goals"
    read = ["CARE", "MEDICATION", "THERAPY", "CHECK_IN", "ALERT", "CONSENT"]
    await consent_to_organization(
        api, clinic.client_id, recipient, read, signed_by="Ula C.", purpose="sober living plan"
    )
    await api.join_care_team(clinic.client_id, Role.THERAPIST, "ther-goals")
    await clinic.doctor(GOAL, description="taper methadone to 40 mg")
    await api.ok(
        GOAL, {"i": {"clientId": clinic.client_id, "description": "find a sponsor"}},
        role=Role.THERAPIST, user="ther-goals",
    )  # fmt: skip

    sent = await forwarded(api, recipient)
    goals = [
        (e["actor"]["role"], e["description"], e.get("withheld"))
        for e in sent
        if e["type"] == "care.TreatmentGoalSet"
    ]
    assert goals == [("prescriber", None, ["description"]), ("therapist", "find a sponsor", None)]


async def test_a_step_on_a_goal_goes_under_its_kind_without_the_words_the_consent_lacks(
    api: Api,
) -> None:
    """A step restates its goal's words, which go by the goal's writer, and its note goes
    by its own: under a consent to what a therapist reads, the therapist's step on the
    prescriber's goal (which may name the dose) goes with her note and without the goal's
    words, the prescriber's step on her goal with its words and without his note, and her
    step on her own goal whole. Before, her step on his goal did not go at all."""
    clinic = await Clinic.enroll(api, "Vera D.")
    recipient = "sober-living-steps"
    read = ["CARE", "MEDICATION", "THERAPY", "CHECK_IN", "ALERT", "CONSENT"]
    await consent_to_organization(
        api, clinic.client_id, recipient, read, signed_by="Vera D.", purpose="sober living plan"
    )
    therapist = "ther-steps"
    await api.join_care_team(clinic.client_id, Role.THERAPIST, therapist)
    prescribed = await clinic.doctor(GOAL, description="taper methadone to 40 mg")

    async def by_therapist(query: str, **given: Any) -> Any:
        done = await api.ok(
            query, {"i": {"clientId": clinic.client_id, **given}}, role=Role.THERAPIST,
            user=therapist,
        )  # fmt: skip
        [result] = done.values()
        return result

    own = await by_therapist(GOAL, description="find a sponsor")
    await by_therapist(PROGRESS, goalId=prescribed["id"], achievement="IMPROVING", note="calm")
    await clinic.doctor(PROGRESS, goalId=own["id"], achievement="IMPROVING", note="at 60 mg")
    await by_therapist(PROGRESS, goalId=own["id"], achievement="ACHIEVED", note="has one")

    sent = await forwarded(api, recipient)
    steps = [
        (e["actor"]["role"], e["description"], e["note"], e.get("withheld"))
        for e in sent
        if "achievement" in e
    ]
    assert steps == [
        ("therapist", None, "calm", ["description"]),
        ("prescriber", "find a sponsor", None, ["note"]),
        ("therapist", "find a sponsor", "has one", None),
    ]


async def test_a_correction_goes_with_its_entry_and_without_the_text_the_consent_lacks(
    api: Api,
) -> None:
    """A recipient sent a dose is sent its correction under the consent the dose went by,
    so its copy does not stay wrong; the nurse's reason, which may tell of more than doses,
    reads null and is named in ``withheld``. Before, the correction was not sent at all.
    Under a consent to all a nurse reads the reason goes whole."""
    clinic = await Clinic.enroll(api, "Zed F.")
    court, treating = "drug-court-doses", "treating-clinic-doses"
    await consent_to_organization(
        api, clinic.client_id, court, ["DOSING"], signed_by="Zed F.", purpose="drug court"
    )
    read = ["DOSING", "MEDICATION", "CHECK_IN", "ALERT", "CARE", "CONSENT", "THERAPY"]
    await consent_to_organization(
        api, clinic.client_id, treating, read, signed_by="Zed F.", purpose="continuity of care"
    )
    today = datetime.now(UTC).date()
    order = await clinic.methadone("30", today)
    dose = await clinic.dose(order["id"], today, "30")
    await clinic.nurse(IN_ERROR, doseId=dose, reason="charted on the wrong client")

    messages = await received_by(api.platform, court)
    sent = [json.loads(m.data) for m in messages]
    assert [(e["type"], e.get("reason"), e.get("withheld")) for e in sent] == [
        ("medication.DoseAdministered", None, None),
        ("medication.DoseEnteredInError", None, ["reason"]),
    ]
    assert sent[1]["dose_id"] == dose
    [consent] = {m.headers["Carecoord-Consent-Id"] for m in messages if m.headers}
    assert consent
    whole = [e for e in await forwarded(api, treating) if e["type"].endswith("InError")]
    assert [(e["reason"], e.get("withheld")) for e in whole] == [
        ("charted on the wrong client", None)
    ]


async def test_a_hold_goes_only_to_whom_its_order_went(api: Api) -> None:
    """A prescriber's hold, and the hold lifted, go under the consent to medications their
    order went by, their reasons withheld; a recipient consented to dosing alone, never sent
    the order, is not sent its hold."""
    clinic = await Clinic.enroll(api, "Yan G.")
    orders, doses = "pharmacy-orders", "court-doses-only"
    await consent_to_organization(
        api, clinic.client_id, orders, ["MEDICATION"], signed_by="Yan G.", purpose="pharmacy"
    )
    await consent_to_organization(
        api, clinic.client_id, doses, ["DOSING"], signed_by="Yan G.", purpose="drug court"
    )
    order = await clinic.methadone("30", datetime.now(UTC).date())
    await clinic.doctor(HOLD, orderId=order["id"], reason="QTc 520 ms on today's ECG")
    await clinic.doctor(RESUME, orderId=order["id"], reason="QTc 460 ms off ondansetron")

    sent = await forwarded(api, orders)
    assert [(e["type"], e.get("reason"), e.get("withheld")) for e in sent] == [
        ("medication.MedicationPrescribed", None, None),
        ("medication.OrderHeld", None, ["reason"]),
        ("medication.OrderResumed", None, ["reason"]),
    ]
    assert [e["type"] for e in await forwarded(api, doses)] == []


async def test_a_correction_sent_again_as_the_forwarder_starts_goes_without_its_reason(
    api: Api,
) -> None:
    """Intended and not yet sent (a forwarder stopped between the two), the dose and its
    correction are sent as the forwarder starts again, the nurse's reason withheld as the
    first run would have sent it."""
    clinic = await Clinic.enroll(api, "Una H.")
    recipient = "drug-court-resent"
    await consent_to_organization(
        api, clinic.client_id, recipient, ["DOSING"], signed_by="Una H.", purpose="drug court"
    )
    today = datetime.now(UTC).date()
    order = await clinic.methadone("30", today)
    before = clinic.position
    dose = await clinic.dose(order["id"], today, "30")
    await clinic.nurse(IN_ERROR, doseId=dose, reason="charted on the wrong client")
    stored = await asyncio.to_thread(api.platform.store.read, before, 100)
    given, marked = [p for p in stored if str(p.event.client_id) == clinic.client_id]
    await api.platform.bus.execute(
        disclose_events(
            Stamp(Actor(id=f"disclose-{recipient}", role=Role.SYSTEM)),
            client_id=given.event.client_id,
            recipient=Recipient(type=RecipientType.ORGANIZATION, id=recipient, name=recipient),
            events=[given, marked],
            destination=f"disclosed.{recipient}.>",
        )
    )

    sent = await forwarded(api, recipient)
    assert [(e["type"], e.get("reason"), e.get("withheld")) for e in sent] == [
        ("medication.DoseAdministered", None, None),
        ("medication.DoseEnteredInError", None, ["reason"]),
    ]


async def test_a_dose_not_given_goes_under_a_consent_to_doses_without_its_note(
    api: Api,
) -> None:
    """A drug court consented to dosing alone learns that a dose was not given and why (the
    coded reason); the nurse's note, which may tell of more than doses, reads null and is
    named in ``withheld``. Before, the entry was not sent at all, so the court never learnt
    of the missed dose. Under a consent to all a nurse reads the note goes whole."""
    clinic = await Clinic.enroll(api, "Ada J.")
    court, treating = "drug-court-missed", "treating-clinic-missed"
    await consent_to_organization(
        api, clinic.client_id, court, ["DOSING"], signed_by="Ada J.", purpose="drug court"
    )
    read = ["DOSING", "MEDICATION", "CHECK_IN", "ALERT", "CARE", "CONSENT", "THERAPY"]
    await consent_to_organization(
        api, clinic.client_id, treating, read, signed_by="Ada J.", purpose="continuity of care"
    )
    order = await clinic.methadone("30", datetime.now(UTC).date())
    await clinic.nurse(NOT_GIVEN, orderId=order["id"], reason="DECLINED", note="smelled of alcohol")

    def missed(sent: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
        return [
            (e["reason"], e["note"], e.get("withheld"))
            for e in sent
            if e["type"] == "medication.DoseNotGiven"
        ]

    assert missed(await forwarded(api, court)) == [("declined", None, ["note"])]
    assert missed(await forwarded(api, treating)) == [("declined", "smelled of alcohol", None)]


async def test_a_late_cancellation_goes_under_a_consent_to_therapy_without_its_reason(
    api: Api,
) -> None:
    """A probation office consented to therapy learns the session was late-cancelled; the
    therapist's reason, which may tell of more than sessions, reads null, named in
    ``withheld``. Before, the cancellation was not sent at all."""
    clinic = await Clinic.enroll(api, "Bea L.")
    probation = "probation-sessions"
    await consent_to_organization(
        api, clinic.client_id, probation, ["THERAPY"], signed_by="Bea L.", purpose="probation"
    )
    therapist = "ther-late"
    await api.join_care_team(clinic.client_id, Role.THERAPIST, therapist)
    booked = await api.ok(
        SCHEDULE, {"i": {
            "clientIds": [clinic.client_id], "modality": "CBT",
            "format": "INDIVIDUAL", "scheduledFor": ahead(days=30), "plannedMinutes": 50,
        }}, role=Role.THERAPIST, user=therapist,
    )  # fmt: skip
    cancelled = [{"clientId": clinic.client_id, "outcome": "LATE_CANCELLED"}]
    await api.ok(
        ATTENDANCE, {"i": {
            "sessionId": booked["scheduleSession"]["id"], "attendance": cancelled,
            "reason": "relapsed on fentanyl",
        }}, role=Role.THERAPIST, user=therapist,
    )  # fmt: skip

    sent = await forwarded(api, probation)
    assert [
        (e["reason"], e.get("withheld"))
        for e in sent
        if e["type"] == "therapy.SessionLateCancelled"
    ] == [(None, ["reason"])]


async def test_a_change_is_decided_without_reading_its_clients_history(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dose change goes, or not, by its own kind: the forwarder reads none of the client's
    medication history to decide it, for a recipient with no consent for the client nor for
    one consented to medications. Before, every page holding a change to a dose, take-home,
    statement, order or guest stay read that client's whole history of it."""
    clinic = await Clinic.enroll(api, "Ivo K.")
    pharmacy = "pharmacy-history"
    await consent_to_organization(
        api, clinic.client_id, pharmacy, ["MEDICATION"], signed_by="Ivo K.", purpose="pharmacy"
    )
    today = datetime.now(UTC).date()
    order = await clinic.methadone("30", today)
    for dose in ("35", "40"):
        order = await clinic.doctor(
            CHANGE, orderId=order["id"], dose=dose, start=str(today), reason="cravings"
        )
    event_store = api.platform.store.repository.event_store
    history = aggregate_id("medication", UUID(clinic.client_id))
    reads = []
    get = event_store.get

    def counted(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        if originator_id == history:
            reads.append(originator_id)
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(event_store, "get", counted)
    sent = await forwarded(api, pharmacy)
    assert await forwarded(api, "no-consent-history") == []

    changed = [(e["type"], e["reason"], e.get("withheld")) for e in sent if "reason" in e]
    assert changed == [("medication.DoseChanged", None, ["reason"])] * 2
    assert reads == []


async def test_a_check_ins_correction_goes_under_a_consent_to_check_ins(api: Api) -> None:
    """A peer recovery center consented to check-ins alone, sent a check-in, is sent its
    entry in error, the nurse's reason withheld; vital signs and their correction (of the
    medication kind) go to neither. Before, a check-in's correction was of the medication
    kind too and did not go, so the center's copy kept a check-in recorded in error."""
    clinic = await Clinic.enroll(api, "Cai M.")
    center = "recovery-center-checkins"
    await consent_to_organization(
        api, clinic.client_id, center, ["CHECK_IN"], signed_by="Cai M.", purpose="peer support"
    )
    checked = await clinic.nurse(CHECK_IN, craving=80)
    vitals = await clinic.nurse(VITALS, qtcMs=520)
    await clinic.nurse(CHECK_IN_IN_ERROR, entryId=checked["id"], reason="typed for her dose")
    await clinic.nurse(CHECK_IN_IN_ERROR, entryId=vitals["id"], reason="ECG read 420")

    sent = await forwarded(api, center)
    assert [(e["type"], e.get("entry"), e.get("reason"), e.get("withheld")) for e in sent] == [
        ("checkins.CheckInRecorded", None, None, None),
        ("checkins.CheckInEnteredInError", "check_in", None, ["reason"]),
    ]


async def test_an_emergency_access_goes_under_a_consent_to_consents_without_its_reason(
    api: Api,
) -> None:
    """A prescriber's reason for breaking the glass may describe the emergency ("found
    unresponsive, naloxone given"): a probation office consented to the client's consent
    entries alone learns that an emergency access was used, by whom, not what happened."""
    clinic = await Clinic.enroll(api, "Dov K.")
    probation = "probation-consents"
    await consent_to_organization(
        api, clinic.client_id, probation, ["CONSENT"], signed_by="Dov K.", purpose="supervision"
    )
    await api.ok(
        BREAK_GLASS,
        {"input": {"clientId": clinic.client_id, "reason": "found unresponsive, naloxone given"}},
        role=Role.PRESCRIBER, user="dr-er",
    )  # fmt: skip

    sent = await forwarded(api, probation)
    assert [(e["member_id"], e["reason"], e.get("withheld")) for e in sent if "access_id" in e] == [
        ("dr-er", None, ["reason"])
    ]
