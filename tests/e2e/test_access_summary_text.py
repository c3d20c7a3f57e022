"""A reason told in a timeline entry's summary line is shown as the entry's facts are: a
prescriber's reasons for holding and stopping an order and a nurse's for marking a check-in
in error read without it to the therapist, who sees no doses (`withheld: ["reason"]`), the
nurse's to the peer supporter, who sees the check-in and its correction, and a
program admin's for ending a membership to the peer supporter, who sees no consents; the
nurse and the therapist read each line whole. The order's reasons in `clientMedications`
(its hold's, its stopping's, its history lines) alike. Before, every reader of the entry's
kind read the reason in its summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from medication_steps import DISCONTINUE, HOLD, NURSE, Clinic, mutation

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

THERAPIST, PEER, LEAVING = "ther-summary", "peer-summary", "peer-leaving"
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
IN_ERROR = mutation("CheckInInErrorInput", "markCheckInEnteredInError")
END = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
PRESCRIBE = mutation("PrescribeInput", "prescribeMedication")
TIMELINE = """query($id: UUID!, $atLeast: Seq, $kinds: [Kind!]) {
  clientTimeline(clientId: $id, first: 500, atLeast: $atLeast, kinds: $kinds) {
    nodes { type summary withheld facts } } }"""
HELD = "QTc 510 ms on 120 mg methadone"
STOPPED = "moved to buprenorphine 16 mg"
MISTYPED = "craving typed for her dose of 120 mg"
LEFT = "client asked: she disclosed a relapse to him"


async def lines(clinic: Clinic, kind: str, role: Role, user: str) -> list[tuple[Any, ...]]:
    found = await clinic.api.ok(
        TIMELINE, {"id": clinic.client_id, "atLeast": clinic.position, "kinds": [kind]},
        role=role, user=user,
    )  # fmt: skip
    return [
        (n["summary"], n["withheld"], n["facts"]["reason"])
        for n in found["clientTimeline"]["nodes"]
        if "reason" in n["facts"]
    ]


async def reasoned(api: Api) -> Clinic:
    clinic = await Clinic.enroll(api, "Wren B.")
    for role, user in ((Role.THERAPIST, THERAPIST), (Role.PEER_SUPPORTER, PEER),
                       (Role.PEER_SUPPORTER, LEAVING)):  # fmt: skip
        await api.join_care_team(clinic.client_id, role, user)
    start = str(datetime.now(UTC).date() - timedelta(days=1))
    ordered = await clinic.doctor(
        PRESCRIBE, medication="buprenorphine", dose="8", unit="mg", route="sublingual",
        start=start,
    )  # fmt: skip
    await clinic.doctor(HOLD, orderId=ordered["id"], reason=HELD)
    await clinic.doctor(DISCONTINUE, orderId=ordered["id"], reason=STOPPED)
    checked = await clinic.nurse(CHECK_IN, craving=60)
    await clinic.nurse(IN_ERROR, entryId=checked["id"], reason=MISTYPED)
    ended = await api.ok(
        END, {"i": {"clientId": clinic.client_id, "memberId": LEAVING, "reason": LEFT}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    clinic.position = ended["endCareTeamMembership"]["position"]
    return clinic


async def test_a_reason_in_a_summary_is_withheld_as_the_facts_are(api: Api) -> None:
    clinic = await reasoned(api)
    assert await lines(clinic, "MEDICATION", Role.NURSE, NURSE) == [
        (f"Order on hold: buprenorphine ({HELD})", [], HELD),
        (f"Discontinued: buprenorphine ({STOPPED})", [], STOPPED),
    ]
    assert await lines(clinic, "MEDICATION", Role.THERAPIST, THERAPIST) == [
        ("Order on hold: buprenorphine", ["reason"], None),
        ("Discontinued: buprenorphine", ["reason"], None),
    ]
    # A check-in's correction is a check-in's: the peer supporter, who sees no medication,
    # is shown it, without the nurse's reason.
    mistyped: list[tuple[Any, ...]] = [(f"Check-in entered in error ({MISTYPED})", [], MISTYPED)]
    assert await lines(clinic, "CHECK_IN", Role.NURSE, NURSE) == mistyped
    unsaid: list[tuple[Any, ...]] = [("Check-in entered in error", ["reason"], None)]
    assert await lines(clinic, "CHECK_IN", Role.THERAPIST, THERAPIST) == unsaid
    assert await lines(clinic, "CHECK_IN", Role.PEER_SUPPORTER, PEER) == unsaid
    left = f"{LEAVING} left the care team"
    assert await lines(clinic, "CARE", Role.THERAPIST, THERAPIST) == [
        (f"{left} ({LEFT})", [], LEFT)
    ]
    assert await lines(clinic, "CARE", Role.PEER_SUPPORTER, PEER) == [(left, ["reason"], None)]


MEDICATIONS = """query($id: UUID!, $atLeast: Seq) {
  clientMedications(clientId: $id, atLeast: $atLeast, includeHistory: true) {
    orders { hold { reason withheld } stoppedReason withheld
             history { summary withheld } } } }"""


async def test_a_reason_on_an_order_is_withheld_in_the_medication_list(api: Api) -> None:
    """The same reasons in `clientMedications`: the order's for stopping and each history
    line's (the order is stopped, so no longer held: its hold's reason is a history line's,
    tests/e2e/test_probe_med_stopped_hold_api.py)."""
    clinic = await reasoned(api)

    async def orders(role: Role, user: str) -> Any:
        found = await api.ok(
            MEDICATIONS, {"id": clinic.client_id, "atLeast": clinic.position}, role=role,
            user=user,
        )  # fmt: skip
        return found["clientMedications"]["orders"]

    assert await orders(Role.NURSE, NURSE) == [
        {
            "hold": None, "stoppedReason": STOPPED, "withheld": [],
            "history": [
                {"summary": "Prescribed buprenorphine 8 mg sublingual", "withheld": []},
                {"summary": f"Order on hold: buprenorphine ({HELD})", "withheld": []},
                {"summary": f"Discontinued: buprenorphine ({STOPPED})", "withheld": []},
            ],
        }
    ]  # fmt: skip
    assert await orders(Role.THERAPIST, THERAPIST) == [
        {
            "hold": None, "stoppedReason": None,
            "withheld": ["stoppedReason"],
            "history": [
                {"summary": "Prescribed buprenorphine 8 mg sublingual", "withheld": []},
                {"summary": "Order on hold: buprenorphine", "withheld": ["reason"]},
                {"summary": "Discontinued: buprenorphine", "withheld": ["reason"]},
            ],
        }
    ]  # fmt: skip


CARE_TEAM = """query($id: UUID!, $atLeast: Seq) {
  careTeam(clientId: $id, atLeast: $atLeast) { memberId endedReason withheld } }"""


async def test_a_reason_for_ending_a_membership_is_withheld_in_the_care_team(api: Api) -> None:
    clinic = await reasoned(api)

    async def ended(role: Role, user: str) -> list[tuple[Any, list[str]]]:
        found = await api.ok(
            CARE_TEAM, {"id": clinic.client_id, "atLeast": clinic.position}, role=role,
            user=user,
        )  # fmt: skip
        return [
            (m["endedReason"], m["withheld"]) for m in found["careTeam"] if m["memberId"] == LEAVING
        ]

    assert await ended(Role.THERAPIST, THERAPIST) == [(LEFT, [])]
    assert await ended(Role.PEER_SUPPORTER, PEER) == [(None, ["endedReason"])]
