"""A reader whose grant lacks the kind of data a query is about is refused (``kind-may-read``)
and the refusal access-logged, as a peer supporter asking for medications is: consents,
check-in series, alerts and goals answered an empty list and logged a granted read, so a
peer supporter read "no consents on file" and a program admin "no alerts" for a client who
had them, and a prescriber a consent names for medications alone read no treatment episode
and no level of care for a client in treatment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

ENROLL = mutation("EnrollClientInput", "enrollClient")
CONSENT = mutation("RecordConsentInput", "recordConsent")
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
GOAL = mutation("SetTreatmentGoalInput", "setTreatmentGoal")
QUERIES = {
    name: f"query($id: UUID!, $p: Seq) {{ {name}(clientId: $id, atLeast: $p) {{ {field} }} }}"
    for name, field in (
        ("consents", "consentId"),
        ("checkInSeries", "measure"),
        ("clientAlerts", "alertId"),
        ("clientGoals", "goalId"),
    )
}
ACCESS_LOG = """query($id: UUID) { accessLog(clientId: $id, first: 500) {
  readerId operation outcome refusal } }"""


async def client_with_a_record(api: Api) -> tuple[str, int]:
    """A client with a consent, a check-in and a goal, and a peer supporter on the team."""
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Rae", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.PEER_SUPPORTER, "peer-kinds")
    await api.join_care_team(client_id, Role.THERAPIST, "ther-kinds")
    consent = {
        "clientId": client_id,
        "recipients": [{"type": "ORGANIZATION", "id": "clinic-north", "name": "North Clinic"}],
        "purpose": "coordination of care",
        "dataKinds": ["CARE"],
        "signedOn": str(datetime.now(UTC).date()),
        "expiryEvent": "end of treatment",
        "signedBy": "Rae",
    }
    await api.ok(CONSENT, {"input": consent}, role=Role.PROGRAM_ADMIN)
    await api.ok(CHECK_IN, {"input": {"clientId": client_id, "craving": 3}}, role=Role.CLIENT,
                 user=client_id)  # fmt: skip
    goal = {"clientId": client_id, "description": "Attend group weekly"}
    done = await api.ok(GOAL, {"input": goal}, role=Role.THERAPIST, user="ther-kinds")
    return client_id, int(done["setTreatmentGoal"]["position"])


@pytest.mark.parametrize(
    ("role", "user", "refused"),
    [
        (Role.PEER_SUPPORTER, "peer-kinds", {"consents", "clientGoals"}),
        (Role.PROGRAM_ADMIN, "admin-kinds", {"checkInSeries", "clientAlerts", "clientGoals"}),
    ],
    ids=["peer-supporter", "program-admin"],
)
async def test_a_query_for_a_kind_the_grant_lacks_is_refused_and_logged(
    api: Api, role: Role, user: str, refused: set[str]
) -> None:
    client_id, position = await client_with_a_record(api)

    answers = {
        name: await api.gql(query, {"id": client_id, "p": position}, role=role, user=user)
        for name, query in QUERIES.items()
    }

    for name in refused:
        assert answers[name]["data"] is None, (name, answers[name])
        assert answers[name]["errors"][0]["extensions"] == {
            "code": "FORBIDDEN",
            "field": "clientId",
            "rule": "kind-may-read",
        }, name
    for name in QUERIES.keys() - refused:
        assert not answers[name].get("errors"), (name, answers[name])
    logged = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-kinds")
    outcomes = {
        e["operation"]: (e["outcome"], e["refusal"])
        for e in logged["accessLog"]
        if e["readerId"] == user
    }
    assert outcomes == {
        name: ("REFUSED", "kind-may-read") if name in refused else ("GRANTED", "")
        for name in QUERIES
    }


async def test_a_timeline_filtered_to_kinds_the_grant_lacks_is_refused_and_logged(
    api: Api,
) -> None:
    client_id, position = await client_with_a_record(api)
    filtered = """query($id: UUID!, $p: Seq, $kinds: [Kind!]) {
      clientTimeline(clientId: $id, atLeast: $p, kinds: $kinds) { nodes { kind } } }"""

    hidden = await api.gql(
        filtered,
        {"id": client_id, "p": position, "kinds": ["MEDICATION", "THERAPY"]},
        role=Role.PEER_SUPPORTER,
        user="peer-kinds",
    )
    mixed = await api.ok(
        filtered,
        {"id": client_id, "p": position, "kinds": ["THERAPY", "CHECK_IN"]},
        role=Role.PEER_SUPPORTER,
        user="peer-kinds",
    )

    assert hidden["data"] is None
    assert hidden["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "field": "kinds",
        "rule": "kind-may-read",
    }
    assert [n["kind"] for n in mixed["clientTimeline"]["nodes"]] == ["check_in"]
    logged = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-kinds")
    assert [
        (e["outcome"], e["refusal"]) for e in logged["accessLog"] if e["readerId"] == "peer-kinds"
    ] == [("REFUSED", "kind-may-read"), ("GRANTED", "")]


async def test_care_history_for_a_grant_without_care_is_refused_and_logged(api: Api) -> None:
    client_id, _ = await client_with_a_record(api)
    consent = {
        "clientId": client_id,
        "recipients": [{"type": "MEMBER", "id": "dr-consented-kinds"}],
        "purpose": "coordination of care",
        "dataKinds": ["MEDICATION"],
        "signedOn": str(datetime.now(UTC).date()),
        "expiryEvent": "end of treatment",
        "signedBy": "Rae",
    }
    done = await api.ok(CONSENT, {"input": consent}, role=Role.PROGRAM_ADMIN)
    position = done["recordConsent"]["position"]
    history = {"treatmentEpisodes": "admissionId", "levelOfCareHistory": "level"}

    for name, field in history.items():
        query = f"query($id: UUID!, $p: Seq) {{ {name}(clientId: $id, atLeast: $p) {{ {field} }} }}"
        answer = await api.gql(
            query, {"id": client_id, "p": position}, role=Role.PRESCRIBER, user="dr-consented-kinds"
        )
        assert answer["data"] is None, (name, answer)
        assert answer["errors"][0]["extensions"] == {
            "code": "FORBIDDEN",
            "field": "clientId",
            "rule": "kind-may-read",
        }, name
    logged = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-kinds")
    assert {
        e["operation"]: (e["outcome"], e["refusal"])
        for e in logged["accessLog"]
        if e["readerId"] == "dr-consented-kinds"
    } == dict.fromkeys(history, ("REFUSED", "kind-may-read"))
