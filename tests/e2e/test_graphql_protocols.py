"""The API measured against the reference implementations of its protocols: the
``graphql-http`` conformance audit (every MUST and SHOULD of GraphQL over HTTP) and the
``graphql-ws`` client (graphql-transport-ws), both run from Node against the live server.
"""

from __future__ import annotations

import pytest
from node_tools import run_script

from carecoord.events import Role
from carecoord.graphql.app import response_media_type
from carecoord.services.infrastructure.identity import issue_token
from carecoord.services.infrastructure.settings import Settings
from support import Api


@pytest.mark.shared_platform
async def test_the_graphql_over_http_audit_passes_every_must_and_should(api: Api) -> None:
    report = await run_script(
        "http_audit.cjs",
        {"AUDIT_URL": f"{api.base_url}/graphql", "AUDIT_TOKEN": api.token(Role.NURSE)},
    )
    not_passed = [f for f in report["failed"] if f["status"] in ("warn", "error")]
    assert not not_passed, report
    assert report["counts"]["error"] == 0
    assert report["counts"]["warn"] == 0


ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""


@pytest.mark.shared_platform
async def test_the_graphql_ws_client_gets_a_timeline_entry_once_and_a_reason_when_refused(
    api: Api,
) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Robin", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client = enrolled["enrollClient"]["id"]
    await api.join_care_team(client, Role.PRESCRIBER)
    after = await api.join_care_team(client, Role.NURSE)
    # Signed with another key: the API must refuse it at connection_init.
    stranger = Settings(jwt_secret="another-secret-another-secret-another!")
    report = await run_script(
        "ws_timeline.cjs",
        {
            "API_URL": api.base_url,
            "READER_TOKEN": api.token(Role.NURSE),
            "WRITER_TOKEN": api.token(Role.PRESCRIBER),
            "BAD_TOKEN": issue_token(stranger, "nurse-1", Role.NURSE),
            "CLIENT_ID": client,
            "AFTER": str(after),
            "QUIET_MS": "1000",
        },
    )
    recorded = report["recorded"]
    entries = [r["data"]["timeline"] for r in report["received"]]
    assert entries == [
        {
            "position": recorded["position"],
            "type": "medication.MedicationPrescribed",
            "eventId": entries[0]["eventId"] if entries else None,
        }
    ], report
    assert not any("errors" in r for r in report["received"]), report
    refused = report["refused"]
    assert refused["code"] == 4403, refused
    assert refused["reason"].startswith("UNAUTHENTICATED token-invalid: invalid token"), refused
    # Without a token, refused as one whose token is bad: nothing is served without one.
    anonymous = report["anonymous"]
    assert anonymous == {
        "code": 4403,
        "reason": "UNAUTHENTICATED token-required: send 'Authorization: Bearer <token>' in the"
        " connection_init payload",
    }, anonymous


@pytest.mark.shared_platform
async def test_the_media_type_follows_accept_and_legacy_clients_keep_200(api: Api) -> None:
    """Checked here too, where Node is missing and the audit skips."""
    new = {"Accept": "application/graphql-response+json, application/json;q=0.9"}
    ok = await api.http.post("/graphql", json={"query": "{ __typename }"}, headers=new)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    assert ok.json() == {"data": {"__typename": "Query"}}
    for query in ("{", "{ noSuchField }", "query($id: UUID!) { __typename }"):
        failed = await api.http.post("/graphql", json={"query": query}, headers=new)
        assert failed.status_code == 400, (query, failed.text)
        assert "data" not in failed.json(), query
        assert failed.json()["errors"], query
        for legacy in ({"Accept": "application/json"}, {"Accept": "*/*"}, {}):
            old = await api.http.post("/graphql", json={"query": query}, headers=legacy)
            assert old.status_code == 200, (query, legacy)
            # the encoding named, as the spec asks of either media type (it was not here)
            assert old.headers["content-type"] == "application/json; charset=utf-8"
            assert old.json()["data"] is None
    # a refusal while running is an execution error: 200 with data, in both media types
    refused = await api.http.post(
        "/graphql", json={"query": "{ platformStatus { storePosition } }"}, headers=new
    )
    assert refused.status_code == 200
    assert refused.json()["data"] is None
    assert refused.json()["errors"][0]["path"] == ["platformStatus"]


@pytest.mark.shared_platform
async def test_no_answer_is_kept_by_a_cache(api: Api) -> None:
    """A query by GET is cacheable by default: a timeline read on a clinic's shared
    workstation stayed in its browser's disk cache after the session ended."""
    token = {"Authorization": f"Bearer {api.token(Role.NURSE)}"}
    answers = [
        await api.http.get("/graphql", params={"query": "{ __typename }"}, headers=token),
        await api.http.post("/graphql", json={"query": "{ __typename }"}, headers=token),
        await api.http.post("/graphql", json={"query": "{"}, headers=token),
        await api.http.post("/graphql", content=b"[", headers=token),
    ]
    assert [a.headers.get("cache-control") for a in answers] == ["no-store"] * len(answers)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/graphql-response+json", "application/graphql-response+json"),
        (
            "application/json, application/graphql-response+json",
            "application/graphql-response+json",
        ),
        ("application/graphql-response+json;q=0.5, application/json", "application/json"),
        ("application/graphql-response+json;q=0, */*", "application/json"),
        (
            "text/html, application/graphql-response+json;q=0.9, */*;q=0.8",
            "application/graphql-response+json",
        ),
    ],
)
def test_the_media_type_is_negotiated_by_weight(accept: str, chosen: str) -> None:
    assert response_media_type(accept) == chosen
