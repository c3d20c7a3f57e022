"""A consent names others than whoever records it, recipients someone can be, and is no twin
of one in force. Before, a therapist on the team recorded a counseling-note consent naming
themself and read every other therapist's SUD counseling notes; a recipient of zero-width
characters was kept (a consent naming no one); and the same consent sent twice was kept
twice, so the client's written revocation of the one they were shown left the twin granting.
Nor does a colleague's word open one therapist's notes to another: a program admin records
such a consent."""

from __future__ import annotations

from typing import Any

import pytest
from counseling_notes import client_with_a_note

from carecoord.events import Role
from support import Api, ago, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CONSENT = mutation("RecordConsentInput", "recordConsent")
REVOKE = mutation("RevokeConsentInput", "revokeConsent")
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, first: 100) { edges { node { kind } } } }"""
CONSENTS = """query($id: UUID!, $atLeast: Seq) {
  consents(clientId: $id, atLeast: $atLeast) { consentId memberIds revokedAt } }"""


async def enroll(api: Api) -> str:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Rae T.", "program": "OTP", "occurredAt": ago(days=2)}},
        role=Role.PROGRAM_ADMIN,
    )
    return str(data["enrollClient"]["id"])


def terms(client_id: str, *member_ids: str, kinds: tuple[str, ...] = ("CARE",)) -> dict[str, Any]:
    return {
        "input": {
            "clientId": client_id,
            "recipients": [{"type": "MEMBER", "id": m} for m in member_ids],
            "purpose": "treatment",
            "dataKinds": list(kinds),
            "signedOn": ago(days=1)[:10],
            "expiryEvent": "end of treatment",
            "signedBy": "Rae T.",
        }
    }


def refusal_of(body: dict[str, Any]) -> dict[str, Any]:
    [error] = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def test_a_therapist_cannot_record_a_consent_that_opens_notes_to_themself(api: Api) -> None:
    client_id, at = await client_with_a_note(api, colleague="ther-other")

    own = await api.gql(
        CONSENT,
        terms(client_id, "ther-other", kinds=("COUNSELING_NOTE",)),
        role=Role.THERAPIST,
        user="ther-other",
    )
    seen = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": at}, role=Role.THERAPIST, user="ther-other"
    )

    assert refusal_of(own) == {
        "code": "FORBIDDEN", "field": "recipients.0.id", "rule": "recipient-not-recorder",
    }  # fmt: skip
    assert "counseling_note" not in {e["node"]["kind"] for e in seen["clientTimeline"]["edges"]}


async def test_a_colleague_cannot_record_a_consent_that_opens_notes_to_another(api: Api) -> None:
    client_id, at = await client_with_a_note(api, colleague="ther-other")
    await api.join_care_team(client_id, Role.THERAPIST, "ther-friend")

    vouched = await api.gql(
        CONSENT,
        terms(client_id, "ther-other", kinds=("COUNSELING_NOTE",)),
        role=Role.THERAPIST,
        user="ther-friend",
    )
    seen = await api.ok(
        TIMELINE, {"id": client_id, "atLeast": at}, role=Role.THERAPIST, user="ther-other"
    )
    granted = await api.ok(
        CONSENT, terms(client_id, "ther-other", kinds=("COUNSELING_NOTE",)), role=Role.PROGRAM_ADMIN
    )
    after = await api.ok(
        TIMELINE,
        {"id": client_id, "atLeast": granted["recordConsent"]["position"]},
        role=Role.THERAPIST,
        user="ther-other",
    )

    assert refusal_of(vouched) == {
        "code": "FORBIDDEN", "field": "dataKinds", "rule": "note-consent-by-admin",
    }  # fmt: skip
    assert "counseling_note" not in {e["node"]["kind"] for e in seen["clientTimeline"]["edges"]}
    assert "counseling_note" in {e["node"]["kind"] for e in after["clientTimeline"]["edges"]}


@pytest.mark.parametrize("member_id", ["\u200b", " \u2060 ", "dr\u00a0out"])
async def test_a_recipient_no_one_can_be_is_refused_and_nothing_recorded(
    api: Api, member_id: str
) -> None:
    client_id = await enroll(api)

    body = await api.gql(CONSENT, terms(client_id, "dr-ok", member_id), role=Role.PROGRAM_ADMIN)
    marker = await api.ok(CONSENT, terms(client_id, "dr-ok"), role=Role.PROGRAM_ADMIN)
    at = marker["recordConsent"]["position"]
    listed = await api.ok(CONSENTS, {"id": client_id, "atLeast": at}, role=Role.PROGRAM_ADMIN)

    assert refusal_of(body) == {
        "code": "BAD_USER_INPUT", "field": "recipients.1.id", "rule": "recipient-id",
    }  # fmt: skip
    assert [c["memberIds"] for c in listed["consents"]] == [["dr-ok"]]


async def test_a_consent_sent_twice_is_kept_once_so_one_revocation_ends_it(api: Api) -> None:
    client_id = await enroll(api)
    first = await api.ok(CONSENT, terms(client_id, "dr-twin"), role=Role.PROGRAM_ADMIN)
    consent = first["recordConsent"]

    twin = await api.gql(CONSENT, terms(client_id, " dr-twin "), role=Role.PROGRAM_ADMIN)
    revoked = await api.ok(
        REVOKE,
        {"input": {"clientId": client_id, "consentId": consent["id"], "reason": "in writing"}},
        role=Role.CLIENT,
        user=client_id,
    )
    after = await api.gql(
        TIMELINE,
        {"id": client_id, "atLeast": revoked["revokeConsent"]["position"]},
        role=Role.PRESCRIBER,
        user="dr-twin",
    )

    assert refusal_of(twin) == {
        "code": "RULE_VIOLATION", "field": "recipients", "rule": "consent-in-force",
    }  # fmt: skip
    assert consent["id"] in twin["errors"][0]["message"]
    assert refusal_of(after)["rule"] == "care-team-or-consent"


async def test_a_recipient_named_again_under_another_name_is_refused_and_nothing_recorded(
    api: Api,
) -> None:
    client_id = await enroll(api)
    named = terms(client_id, "dr-named")
    named["input"]["recipients"] = [
        {"type": "MEMBER", "id": "dr-named", "name": "Dr. Named"},
        {"type": "MEMBER", "id": " dr-named ", "name": "Dr. Other"},
    ]

    body = await api.gql(CONSENT, named, role=Role.PROGRAM_ADMIN)
    marker = await api.ok(CONSENT, terms(client_id, "dr-ok"), role=Role.PROGRAM_ADMIN)
    at = marker["recordConsent"]["position"]
    listed = await api.ok(CONSENTS, {"id": client_id, "atLeast": at}, role=Role.PROGRAM_ADMIN)

    assert refusal_of(body) == {
        "code": "BAD_USER_INPUT", "field": "recipients.1.id", "rule": "recipient-once",
    }  # fmt: skip
    assert [c["memberIds"] for c in listed["consents"]] == [["dr-ok"]]
