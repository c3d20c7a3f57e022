"""Through the API, a required reason or note of only zero-width characters is refused as a
blank one is, naming the field, and nothing is recorded. Before, a hold, a stop, a dose above
the usual maximum acknowledged with a reason of U+2060, an alert acknowledged or resolved, and
a care team membership ended "for" U+200B U+200B were all kept: they looked written on every
screen and said nothing."""

from __future__ import annotations

from typing import Any

import pytest
from medication_steps import (
    CHANGE,
    DISCONTINUE,
    HOLD,
    MEDICATIONS,
    PRESCRIBE,
    TIMELINE,
    Clinic,
)
from medication_steps import mutation as step

from carecoord.events import Role
from support import Api, ago, mutation

pytestmark = pytest.mark.shared_platform

SHOWS_NOTHING = ["\u200b\u200b", "\u2060", " \ufeff "]
BLANK = "   "
ORDER_IN_ERROR = step("OrderActionInput", "markOrderEnteredInError")

ENROLL = mutation("EnrollClientInput", "enrollClient")
SCORE = mutation("ScoreInstrumentInput", "scoreInstrument")
ACKNOWLEDGE = mutation("AlertNoteInput", "acknowledgeAlert")
RESOLVE = mutation("AlertNoteInput", "resolveAlert")
END_MEMBERSHIP = mutation("EndCareTeamMembershipInput", "endCareTeamMembership")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  alertId status history } }"""
CARE_TEAM = """query($id: UUID!, $atLeast: Seq) { careTeam(clientId: $id, atLeast: $atLeast) {
  memberId endedAt endedReason } }"""
CLIENT_TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) { nodes { type } } }"""
NURSE = "nurse-shows-nothing"
THERAPIST = "ther-shows-nothing"


def named(body: dict[str, Any]) -> tuple[str, str, str]:
    """The refusal's code, field and rule; the request answered no data."""
    assert "errors" in body, f"accepted: {body}"
    [error] = body["errors"]
    assert not any((body.get("data") or {}).values()), body
    extensions = error["extensions"]
    return extensions["code"], extensions["field"], extensions["rule"]


async def test_an_order_reason_or_acknowledgement_that_shows_nothing_is_refused(
    api: Api,
) -> None:
    clinic = await Clinic.enroll(api, "Noor V.")
    order = (
        await clinic.doctor(
            PRESCRIBE,
            medication="methadone",
            dose="50",
            unit="mg",
            route="oral",
            start=ago()[:10],
        )
    )["id"]
    above_usual = {
        "orderId": order, "dose": "150", "start": ago()[:10], "reason": "titration",
    }  # fmt: skip

    async def refusals(text: str) -> list[tuple[str, str, str]]:
        said = []
        for query, given in (
            (HOLD, {"orderId": order, "reason": text}),
            (DISCONTINUE, {"orderId": order, "reason": text}),
            (ORDER_IN_ERROR, {"orderId": order, "reason": text}),
            (CHANGE, above_usual | {
                "acknowledgements": [{"rule": "dose-above-usual-maximum", "reason": text}],
            }),
        ):  # fmt: skip
            body = await api.gql(
                query, {"i": {"clientId": clinic.client_id, **given}},
                role=Role.PRESCRIBER, user="dr-lee",
            )  # fmt: skip
            said.append(named(body))
        return said

    blank = await refusals(BLANK)
    assert blank == [
        ("BAD_USER_INPUT", "reason", "reason-required"),
        ("BAD_USER_INPUT", "reason", "reason-required"),
        ("BAD_USER_INPUT", "reason", "reason-required"),
        ("BAD_USER_INPUT", "acknowledgements.reason", "reason-required"),
    ]
    for text in SHOWS_NOTHING:
        assert await refusals(text) == blank, ascii(text)

    await clinic.doctor(HOLD, orderId=order, reason="  intoxicated at the window ")
    [held] = (await clinic.read(MEDICATIONS))["orders"]
    assert (held["id"], held["status"], held["hold"]["reason"]) == (
        order, "on-hold", "intoxicated at the window"
    )  # fmt: skip
    medication = [
        n["type"] for n in (await clinic.read(TIMELINE))["nodes"] if "medication." in n["type"]
    ]
    assert sorted(medication) == [
        "medication.MedicationPrescribed", "medication.OrderHeld",
    ], "the refused requests recorded nothing"  # fmt: skip


async def test_an_alert_note_that_shows_nothing_is_refused(api: Api) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Rui", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE, NURSE)
    answers = [{"item": str(i), "value": 1} for i in range(1, 10)]
    scored = await api.ok(
        SCORE, {"input": {"clientId": client_id, "instrument": "PHQ9", "answers": answers}},
        role=Role.NURSE, user=NURSE,
    )  # fmt: skip
    found = await api.ok(
        ALERTS, {"id": client_id, "atLeast": scored["scoreInstrument"]["position"]},
        role=Role.NURSE, user=NURSE,
    )  # fmt: skip
    [alert] = found["clientAlerts"]
    step = {"clientId": client_id, "alertId": alert["alertId"]}

    for text in [BLANK, *SHOWS_NOTHING]:
        for query in (ACKNOWLEDGE, RESOLVE):
            body = await api.gql(
                query, {"input": step | {"note": text}}, role=Role.NURSE, user=NURSE
            )
            assert named(body) == ("BAD_USER_INPUT", "note", "note-required"), ascii(text)

    done = await api.ok(
        ACKNOWLEDGE, {"input": step | {"note": " left a message "}}, role=Role.NURSE, user=NURSE
    )
    after = await api.ok(
        ALERTS, {"id": client_id, "atLeast": done["acknowledgeAlert"]["position"]},
        role=Role.NURSE, user=NURSE,
    )  # fmt: skip
    [(status, history)] = [(a["status"], a["history"]) for a in after["clientAlerts"]]
    assert status == "ACKNOWLEDGED"
    assert [(h["status"], h["note"]) for h in history] == [("acknowledged", "left a message")], (
        "the refused steps added nothing"
    )


async def test_a_membership_ended_for_a_reason_that_shows_nothing_is_refused(api: Api) -> None:
    data = await api.ok(
        ENROLL, {"input": {"displayName": "Ode", "program": "IOP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = data["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.THERAPIST, THERAPIST)
    ending = {"clientId": client_id, "memberId": THERAPIST}

    for text in [BLANK, *SHOWS_NOTHING]:
        body = await api.gql(
            END_MEMBERSHIP, {"input": ending | {"reason": text}}, role=Role.PROGRAM_ADMIN
        )
        assert named(body) == ("BAD_USER_INPUT", "reason", "string_too_short"), ascii(text)

    ended = await api.ok(
        END_MEMBERSHIP, {"input": ending | {"reason": "moved to another site"}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    position = ended["endCareTeamMembership"]["position"]
    team = await api.ok(CARE_TEAM, {"id": client_id, "atLeast": position}, role=Role.PROGRAM_ADMIN)
    assert [(m["memberId"], m["endedReason"]) for m in team["careTeam"]] == [
        (THERAPIST, "moved to another site")
    ]
    timeline = await api.ok(
        CLIENT_TIMELINE, {"id": client_id, "atLeast": position}, role=Role.PROGRAM_ADMIN
    )
    ends = [n["type"] for n in timeline["clientTimeline"]["nodes"] if n["type"].endswith("Ended")]
    assert ends == ["careteam.CareTeamMemberEnded"], "the refused requests recorded nothing"
