"""An emergency access says what the emergency is. Before, twelve zero-width characters
passed the ten-character reason, opened the record for an hour and showed the program an
alert with an empty-looking reason; a consent's purpose of invisible characters was kept;
and a reason too short was refused only once the client was found, so a clinician off every
care team learnt which client ids are enrolled without breaking the glass."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
BREAK_GLASS = mutation("BreakGlassInput", "breakGlass")
CONSENT = mutation("RecordConsentInput", "recordConsent")
TIMELINE = """query($id: UUID!) { clientTimeline(clientId: $id) { edges { node { type } } } }"""


def refusal_of(body: dict[str, Any]) -> dict[str, Any]:
    [error] = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def test_an_invisible_emergency_reason_is_refused_and_opens_nothing(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Lu M.", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]

    body = await api.gql(
        BREAK_GLASS,
        {"input": {"clientId": client_id, "reason": "\u200b" * 12}},
        role=Role.NURSE,
        user="nurse-glass",
    )
    read = await api.gql(TIMELINE, {"id": client_id}, role=Role.NURSE, user="nurse-glass")
    purpose = await api.gql(
        CONSENT,
        {
            "input": {
                "clientId": client_id,
                "recipients": [{"type": "MEMBER", "id": "dr-out"}],
                "purpose": "\u200b\u2060",
                "dataKinds": ["CARE"],
                "signedOn": str(datetime.now(UTC).date()),
                "expiryEvent": "end of treatment",
                "signedBy": "Lu M.",
            }
        },
        role=Role.PROGRAM_ADMIN,
    )

    assert refusal_of(body) == {
        "code": "BAD_USER_INPUT", "field": "reason", "rule": "emergency-reason",
    }  # fmt: skip
    assert refusal_of(read)["rule"] == "care-team-or-consent"
    assert refusal_of(purpose) == {
        "code": "BAD_USER_INPUT", "field": "purpose", "rule": "shows-text",
    }  # fmt: skip


async def test_a_short_reason_tells_no_one_whether_the_client_is_enrolled(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Jo N.", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    known, unknown = enrolled["enrollClient"]["id"], "0d7e6f1c-3b2a-4c5d-9e8f-7a6b5c4d3e2f"

    answers = [
        refusal_of(
            await api.gql(
                BREAK_GLASS,
                {"input": {"clientId": client_id, "reason": "urgent"}},
                role=Role.NURSE,
                user="nurse-probe",
            )
        )
        for client_id in (known, unknown)
    ]

    assert (
        answers == [{"code": "BAD_USER_INPUT", "field": "reason", "rule": "emergency-reason"}] * 2
    )
