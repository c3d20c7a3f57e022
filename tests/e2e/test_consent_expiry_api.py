"""A consent states when it ends (42 CFR 2.31(a)(6)) and is signed on a day of the client's
record. Before, one with neither `expiresAt` nor `expiryEvent` was kept and granted until
revoked, and one signed on 1900-01-01 was kept as signed then."""

from __future__ import annotations

from typing import Any

import pytest

from carecoord.events import Role
from support import Api, ago, ahead, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CONSENT = mutation("RecordConsentInput", "recordConsent")
CONSENTS = """query($id: UUID!, $atLeast: Seq) {
  consents(clientId: $id, atLeast: $atLeast) { memberIds expiresAt expiryEvent signedOn } }"""


async def enrolled_days_ago(api: Api, days: int) -> str:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Noa E.", "program": "OTP", "occurredAt": ago(days=days)}},
        role=Role.PROGRAM_ADMIN,
    )
    return str(data["enrollClient"]["id"])


def terms(client_id: str, member_id: str, **given: str) -> dict[str, Any]:
    return {
        "input": {
            "clientId": client_id,
            "recipients": [{"type": "MEMBER", "id": member_id}],
            "purpose": "treatment",
            "dataKinds": ["CARE"],
            "signedOn": ago(days=1)[:10],
            "signedBy": "Noa E.",
        }
        | given
    }


async def refused_then_kept(api: Api, client_id: str, refused: dict[str, Any]) -> tuple[Any, Any]:
    """The refusal of ``refused``, and the consents listed once a consent stating its expiry
    (naming ``dr-kept``) is recorded after it: the refused one is not among them."""
    body = await api.gql(CONSENT, refused, role=Role.PROGRAM_ADMIN)
    marker = await api.ok(
        CONSENT,
        terms(client_id, "dr-kept", expiryEvent="end of treatment"),
        role=Role.PROGRAM_ADMIN,
    )
    at = marker["recordConsent"]["position"]
    listed = await api.ok(CONSENTS, {"id": client_id, "atLeast": at}, role=Role.PROGRAM_ADMIN)
    [error] = body["errors"]
    return error, listed["consents"]


@pytest.mark.parametrize("stated", [{}, {"expiryEvent": "  "}, {"expiryEvent": "\u200b"}])
async def test_a_consent_stating_no_expiry_is_refused_naming_the_field(
    api: Api, stated: dict[str, str]
) -> None:
    client_id = await enrolled_days_ago(api, 2)

    error, listed = await refused_then_kept(api, client_id, terms(client_id, "dr-none", **stated))

    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "expiresAt", "rule": "expiry-required",
    }  # fmt: skip
    assert "expiryEvent" in error["message"]
    assert "2.31(a)(6)" in error["message"]
    assert [c["memberIds"] for c in listed] == [["dr-kept"]]


@pytest.mark.parametrize(
    "stated",
    [
        {"expiresAt": ahead(days=365)},
        {"expiryEvent": "none"},
        {"expiryEvent": " end of treatment "},
    ],
)
async def test_a_consent_stating_its_expiry_is_kept(api: Api, stated: dict[str, str]) -> None:
    client_id = await enrolled_days_ago(api, 2)

    kept = await api.ok(CONSENT, terms(client_id, "dr-ends", **stated), role=Role.PROGRAM_ADMIN)
    at = kept["recordConsent"]["position"]
    listed = await api.ok(CONSENTS, {"id": client_id, "atLeast": at}, role=Role.PROGRAM_ADMIN)

    [consent] = listed["consents"]
    assert consent["expiryEvent"] == stated.get("expiryEvent", "").strip()
    assert (consent["expiresAt"] is None) == ("expiresAt" not in stated)


@pytest.mark.parametrize("signed_on", ["1900-01-01", ago(days=3)[:10]])
async def test_a_consent_signed_before_the_enrolment_is_refused(api: Api, signed_on: str) -> None:
    client_id = await enrolled_days_ago(api, 2)
    given = terms(client_id, "dr-early", expiryEvent="end of treatment", signedOn=signed_on)

    error, listed = await refused_then_kept(api, client_id, given)

    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "signedOn", "rule": "after-enrolment",
    }  # fmt: skip
    assert [c["memberIds"] for c in listed] == [["dr-kept"]]


async def test_a_consent_signed_in_the_future_is_refused(api: Api) -> None:
    client_id = await enrolled_days_ago(api, 2)
    given = terms(client_id, "dr-late", expiryEvent="end of treatment", signedOn=ahead(days=2)[:10])

    error, listed = await refused_then_kept(api, client_id, given)

    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "signedOn", "rule": "signed-not-future",
    }  # fmt: skip
    assert [c["memberIds"] for c in listed] == [["dr-kept"]]
