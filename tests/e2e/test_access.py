"""Who may see what, through the API: care teams, consent, break-glass and the access log."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from test_foundation import enroll_prescribe_dose

from carecoord.events import Role
from support import Api

# Each test enrolls its own clients and reads nothing beyond them.
pytestmark = pytest.mark.shared_platform

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
END = """mutation($input: EndCareTeamMembershipInput!) {
  endCareTeamMembership(input: $input) { id position } }"""
CONSENT = (
    """mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id position } }"""
)
REVOKE = (
    """mutation($input: RevokeConsentInput!) { revokeConsent(input: $input) { id position } }"""
)
BREAK_GLASS = """mutation($input: BreakGlassInput!) { breakGlass(input: $input) { id position } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq, $first: Int! = 50, $after: String) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: $first, after: $after) {
    edges { cursor node { type kind } } pageInfo { hasNextPage endCursor } } }"""
ACCESS_LOG = """query($id: UUID) { accessLog(clientId: $id, first: 500) {
  seq clientId readerId readerRole operation outcome basis kindsReturned entriesReturned
  consentIds breakGlassId policyVersion refusal } }"""
BREAK_GLASS_USES = """{ breakGlassUses { accessId clientId memberId role reason } }"""
SUBSCRIBE = """subscription($id: UUID!, $after: Seq) {
  timeline(clientId: $id, after: $after) { position type kind } }"""


async def enroll(api: Api, name: str = "Alex R.") -> str:
    data = await api.ok(
        ENROLL, {"input": {"displayName": name, "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    return str(data["enrollClient"]["id"])


async def consent_to_organization(
    api: Api, client_id: str, org: str, kinds: list[str], *, signed_by: str, purpose: str
) -> str:
    """The client's consent, recorded by a program admin, to disclose ``kinds`` to the
    organization ``org``; its id."""
    consent = {
        "clientId": client_id,
        "recipients": [{"type": "ORGANIZATION", "id": org, "name": org}],
        "purpose": purpose, "dataKinds": kinds,
        "signedOn": str(datetime.now(UTC).date()), "signedBy": signed_by,
        "expiryEvent": "end of treatment",
    }  # fmt: skip
    data = await api.ok(CONSENT, {"input": consent}, role=Role.PROGRAM_ADMIN)
    return str(data["recordConsent"]["id"])


async def refusal(api: Api, query: str, variables: dict[str, Any], **kw: Any) -> dict[str, Any]:
    body = await api.gql(query, variables, **kw)
    assert body.get("errors"), body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


async def access_log(api: Api, client_id: str) -> list[dict[str, Any]]:
    data = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-1")
    return list(data["accessLog"])


async def test_a_clinician_reads_a_client_only_while_on_their_care_team(api: Api) -> None:
    client_id = await enroll(api)

    before = await refusal(api, TIMELINE, {"id": client_id}, role=Role.NURSE)
    joined = await api.join_care_team(client_id, Role.NURSE)
    during = await api.ok(TIMELINE, {"id": client_id, "atLeast": joined}, role=Role.NURSE)
    ended = (
        await api.ok(
            END,
            {"input": {"clientId": client_id, "memberId": "nurse-1", "reason": "rotated off"}},
            role=Role.PROGRAM_ADMIN,
        )
    )["endCareTeamMembership"]["position"]
    after = await refusal(api, TIMELINE, {"id": client_id, "atLeast": ended}, role=Role.NURSE)

    assert before == {"code": "FORBIDDEN", "field": "clientId", "rule": "care-team-or-consent"}
    assert [e["node"]["type"] for e in during["clientTimeline"]["edges"]] == [
        "care.ClientEnrolled",
        "careteam.CareTeamMemberAssigned",
    ]
    assert after["rule"] == "care-team-or-consent"
    other_role = await refusal(
        api, TIMELINE, {"id": client_id}, role=Role.THERAPIST, user="nurse-1"
    )
    assert other_role["code"] == "FORBIDDEN"


async def test_only_program_admins_manage_care_teams_and_auditors_record_nothing(
    api: Api,
) -> None:
    client_id = await enroll(api)
    assign = """mutation($input: AssignCareTeamMemberInput!) {
      assignCareTeamMember(input: $input) { id } }"""
    variables = {"input": {"clientId": client_id, "memberId": "x", "role": "NURSE"}}

    by_nurse = await refusal(api, assign, variables, role=Role.NURSE)
    by_auditor = await refusal(
        api, ENROLL, {"input": {"displayName": "A", "program": "OTP"}}, role=Role.AUDITOR
    )
    no_token = await refusal(api, TIMELINE, {"id": client_id})
    bad_token = await refusal(api, TIMELINE, {"id": client_id}, token="not-a-jwt")

    assert by_nurse["rule"] == "role-may-record"
    assert by_auditor["rule"] == "role-may-record"
    assert no_token == {
        "code": "UNAUTHENTICATED",
        "field": "authorization",
        "rule": "token-required",
    }
    assert bad_token["code"] == "UNAUTHENTICATED"
    assert bad_token["rule"] == "token-invalid"


async def test_every_read_produces_exactly_one_access_log_entry(api: Api) -> None:
    client_id = await enroll(api)
    joined = await api.join_care_team(client_id, Role.PRESCRIBER)

    first = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": joined, "first": 1}, role=Role.PRESCRIBER
    )
    cursor = first["clientTimeline"]["pageInfo"]["endCursor"]
    await api.ok(TIMELINE, {"id": client_id, "first": 1, "after": cursor}, role=Role.PRESCRIBER)
    await refusal(api, TIMELINE, {"id": client_id}, role=Role.PEER_SUPPORTER)
    await api.ok(
        "query($id: UUID!) { careTeam(clientId: $id) { memberId role } }",
        {"id": client_id},
        role=Role.PRESCRIBER,
    )

    entries = await access_log(api, client_id)

    assert [(e["operation"], e["outcome"], e["readerId"]) for e in entries] == [
        ("clientTimeline", "GRANTED", "prescriber-1"),
        ("clientTimeline", "GRANTED", "prescriber-1"),
        ("clientTimeline", "REFUSED", "peer_supporter-1"),
        ("careTeam", "GRANTED", "prescriber-1"),
    ]
    assert [e["entriesReturned"] for e in entries] == [1, 1, 0, 1]
    assert entries[0]["kindsReturned"] == ["care"]
    assert entries[0]["basis"] == "CARE_TEAM"
    assert entries[2]["refusal"] == "care-team-or-consent"
    # The auditor's own read of the log is a read of this client's data, logged after it.
    again = await access_log(api, client_id)
    assert [e["operation"] for e in again[len(entries) :]] == ["accessLog"]
    assert again[-1]["basis"] == "AUDIT"


async def test_only_auditors_read_the_access_log(api: Api) -> None:
    client_id = await enroll(api)
    for role in (Role.PROGRAM_ADMIN, Role.PRESCRIBER, Role.CLIENT):
        user = client_id if role is Role.CLIENT else None
        refused = await refusal(api, ACCESS_LOG, {"id": client_id}, role=role, user=user)
        assert refused["rule"] == "role-may-read"


async def test_a_client_reads_their_own_record_and_no_one_elses(api: Api) -> None:
    mine = await enroll(api, "Sam K.")
    theirs = await enroll(api, "Jo P.")

    own = await api.ok(TIMELINE, {"id": mine}, role=Role.CLIENT, user=mine)
    other = await refusal(api, TIMELINE, {"id": theirs}, role=Role.CLIENT, user=mine)
    not_a_client_id = await refusal(api, TIMELINE, {"id": mine}, role=Role.CLIENT, user="sam")

    assert [e["node"]["type"] for e in own["clientTimeline"]["edges"]] == ["care.ClientEnrolled"]
    assert other["rule"] == "own-record-only"
    assert not_a_client_id["rule"] == "token-subject"


async def test_break_glass_is_allowed_with_a_reason_recorded_and_shown_to_the_program(
    api: Api,
) -> None:
    client_id = await enroll(api)
    reason = "unresponsive in the lobby, need medication list"

    refused = await refusal(api, TIMELINE, {"id": client_id}, role=Role.NURSE, user="nurse-er")
    short = await refusal(
        api,
        BREAK_GLASS,
        {"input": {"clientId": client_id, "reason": "urgent"}},
        role=Role.NURSE,
        user="nurse-er",
    )
    peer = await refusal(
        api,
        BREAK_GLASS,
        {"input": {"clientId": client_id, "reason": reason}},
        role=Role.PEER_SUPPORTER,
    )
    broke = (
        await api.ok(
            BREAK_GLASS,
            {"input": {"clientId": client_id, "reason": reason}},
            role=Role.NURSE,
            user="nurse-er",
        )
    )["breakGlass"]
    read = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": broke["position"]}, role=Role.NURSE, user="nurse-er"
    )
    alerts = (await api.ok(BREAK_GLASS_USES, role=Role.PROGRAM_ADMIN))["breakGlassUses"]
    entries = await access_log(api, client_id)

    assert "break the glass" in str(refused) or refused["rule"] == "care-team-or-consent"
    assert short["code"] == "BAD_USER_INPUT"
    assert peer["rule"] == "role-may-record"
    assert [e["node"]["type"] for e in read["clientTimeline"]["edges"]] == [
        "care.ClientEnrolled",
        "access.BreakGlassUsed",
    ]
    mine = [a for a in alerts if a["clientId"] == client_id]
    assert mine == [
        {
            "accessId": broke["id"],
            "clientId": client_id,
            "memberId": "nurse-er",
            "role": "nurse",
            "reason": reason,
        }
    ]
    granted = [e for e in entries if e["readerId"] == "nurse-er" and e["outcome"] == "GRANTED"]
    assert len(granted) == 1
    assert granted[0]["basis"] == "BREAK_GLASS"
    assert granted[0]["breakGlassId"] == broke["id"]


async def test_a_counseling_note_consent_stands_alone(api: Api) -> None:
    client_id = await enroll(api)
    combined = await refusal(
        api,
        CONSENT,
        {
            "input": {
                "clientId": client_id,
                "recipients": [{"type": "MEMBER", "id": "dr-out"}],
                "purpose": "treatment",
                "dataKinds": ["COUNSELING_NOTE", "MEDICATION"],
                "signedOn": str(datetime.now(UTC).date()),
                "expiryEvent": "end of treatment",
                "signedBy": "Alex R.",
            }
        },
        role=Role.PROGRAM_ADMIN,
    )
    assert combined["rule"] == "separate-note-consent"


async def next_message(ws: Any, timeout: float = 5) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


async def test_a_revoked_consent_cuts_off_a_live_subscription(api: Api) -> None:
    client_id = await enroll(api)
    consent = (
        await api.ok(
            CONSENT,
            {
                "input": {
                    "clientId": client_id,
                    "recipients": [{"type": "MEMBER", "id": "dr-outside", "name": "Dr. Out"}],
                    "purpose": "treatment",
                    "dataKinds": ["CARE", "MEDICATION"],
                    "signedOn": str(datetime.now(UTC).date()),
                    "expiryEvent": "end of treatment",
                    "signedBy": "Alex R.",
                }
            },
            role=Role.PROGRAM_ADMIN,
        )
    )["recordConsent"]
    await api.ok(
        TIMELINE,
        {"id": client_id, "atLeast": consent["position"]},
        role=Role.PRESCRIBER,
        user="dr-outside",
    )
    token = api.token(Role.PRESCRIBER, "dr-outside")
    # From the consent on, not from whenever the server gets to it
    variables = {"id": client_id, "after": consent["position"]}
    async with api.subscription(token, SUBSCRIBE, variables) as ws:
        await api.join_care_team(client_id, Role.NURSE)
        delivered = await next_message(ws)
        await api.ok(
            REVOKE,
            {"input": {"clientId": client_id, "consentId": consent["id"], "reason": "in writing"}},
            role=Role.CLIENT,
            user=client_id,
        )
        cut = await next_message(ws)
        after_cut = await next_message(ws)

    assert delivered["type"] == "next"
    assert delivered["payload"]["data"]["timeline"]["type"] == "careteam.CareTeamMemberAssigned"
    assert cut["type"] == "next"
    assert cut["payload"]["data"] is None
    assert "no consent of theirs names you" in cut["payload"]["errors"][0]["message"]
    assert cut["payload"]["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "field": "clientId",
        "rule": "care-team-or-consent",
    }
    assert after_cut == {"id": "1", "type": "complete"}
    entries = await access_log(api, client_id)
    feed = [e for e in entries if e["operation"] == "timeline"]
    assert [(e["outcome"], e["basis"], e["entriesReturned"]) for e in feed] == [
        ("GRANTED", "CONSENT", 1),
        ("REFUSED", "NONE", 0),
    ]
    assert feed[0]["consentIds"] == [consent["id"]]


async def test_access_log_counts_match_reads_under_concurrency(api: Api) -> None:
    client_id = await enroll(api)
    joined = await api.join_care_team(client_id, Role.NURSE)
    await api.ok(TIMELINE, {"id": client_id, "atLeast": joined}, role=Role.NURSE)

    await asyncio.gather(*(api.ok(TIMELINE, {"id": client_id}, role=Role.NURSE) for _ in range(40)))

    entries = await access_log(api, client_id)
    counted = Counter((e["operation"], e["readerId"]) for e in entries)
    assert counted == {("clientTimeline", "nurse-1"): 41}


async def test_each_role_sees_only_its_kinds_of_the_same_record(api: Api) -> None:
    client_id, _, _, _ = await enroll_prescribe_dose(api)
    position = 0
    for role in (Role.PEER_SUPPORTER, Role.THERAPIST, Role.NURSE):
        position = await api.join_care_team(client_id, role)

    seen = {}
    for role in (Role.PEER_SUPPORTER, Role.THERAPIST, Role.NURSE):
        data = await api.ok(TIMELINE, {"id": client_id, "atLeast": position}, role=role)
        seen[role] = {e["node"]["kind"] for e in data["clientTimeline"]["edges"]}

    assert seen[Role.PEER_SUPPORTER] == {"care"}
    assert seen[Role.THERAPIST] == {"care", "medication"}
    assert seen[Role.NURSE] == {"care", "medication", "dosing"}
    entries = await access_log(api, client_id)
    assert [sorted(e["kindsReturned"]) for e in entries] == [
        ["care"],
        ["care", "medication"],
        ["care", "dosing", "medication"],
    ]
