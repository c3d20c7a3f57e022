"""A client id that names no client is answered alike by every query about one client.

A reader who may see every client (an auditor, a program admin whose token names no
program) is told so (``NOT_FOUND``, ``unknown-client``, logged as a read returning none),
as ``verifyClientRecord``, ``exportClientRecord`` and ``accessAsOf`` told them: the other
reads answered empty, a mistyped id read as a client with nothing recorded. A reader who
could not see the client were it enrolled is refused as for a client kept from them, so
no answer tells which ids are clients (42 CFR Part 2)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from test_access import access_log, enroll, refusal
from test_access_admin_program import admin_of

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

READS = {
    "clientTimeline": "query($id: UUID!) { clientTimeline(clientId: $id) { edges { cursor } } }",
    "careTeam": "query($id: UUID!) { careTeam(clientId: $id) { memberId } }",
    "consents": "query($id: UUID!) { consents(clientId: $id) { consentId } }",
    "disclosures": "query($id: UUID!) { disclosures(clientId: $id) { position } }",
    "treatmentEpisodes": "query($id: UUID!) { treatmentEpisodes(clientId: $id) { admittedAt } }",
}
UNKNOWN = {"code": "NOT_FOUND", "field": "clientId", "rule": "unknown-client"}


@pytest.mark.parametrize("operation", READS)
@pytest.mark.parametrize("role", [Role.AUDITOR, Role.PROGRAM_ADMIN])
async def test_a_reader_of_every_client_is_told_an_id_names_none(
    api: Api, operation: str, role: Role
) -> None:
    known, unknown = await enroll(api), str(uuid.uuid4())
    await api.ok(READS[operation], {"id": known}, role=role)

    assert await refusal(api, READS[operation], {"id": unknown}, role=role) == UNKNOWN
    logged = [e for e in await access_log(api, unknown) if e["operation"] == operation]
    assert [(e["readerRole"], e["outcome"], e["entriesReturned"]) for e in logged] == [
        (role.value, "GRANTED", 0)
    ]


@pytest.mark.parametrize("operation", READS)
async def test_a_reader_kept_from_a_client_is_refused_an_unknown_id_alike(
    api: Api, operation: str
) -> None:
    """An admin of another program, and a clinician on no care team."""
    known, unknown = await enroll(api), str(uuid.uuid4())
    callers: list[dict[str, Any]] = [
        {"token": admin_of(api, "Elsewhere OTP")},
        {"role": Role.PRESCRIBER},
    ]
    for caller in callers:
        refused = [
            await api.gql(READS[operation], {"id": client_id}, **caller)
            for client_id in (known, unknown)
        ]
        kept, never = (body["errors"][0] for body in refused)
        assert kept["extensions"] == never["extensions"], caller
        assert kept["message"].replace(known, unknown) == never["message"]
