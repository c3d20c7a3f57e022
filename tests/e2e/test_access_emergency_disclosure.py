"""A disclosure recorded under an emergency access names only what that access opened: what
its user's role reads on the team (42 CFR 2.51, policy.py). A therapist's emergency access
opens no doses, yet a program admin recorded the dose history sent to an emergency room
under it, and the client's accounting showed doses sent on an authority that never opened
them."""

from __future__ import annotations

import pytest
from test_access import BREAK_GLASS, enroll, refusal
from test_disclosures_api import DISCLOSE, DISCLOSURES

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

ER = {"type": "ORGANIZATION", "id": "county-er", "name": "County ER"}


async def test_a_disclosure_under_a_therapists_emergency_access_names_no_doses(
    api: Api,
) -> None:
    client_id = await enroll(api, "Ren T.")
    broke = await api.ok(
        BREAK_GLASS,
        {"input": {"clientId": client_id, "reason": "crisis call, needs safety plan"}},
        role=Role.THERAPIST, user="therapist-er",
    )  # fmt: skip
    given = {
        "clientId": client_id, "recipient": ER, "purpose": "medical emergency",
        "description": "history faxed", "breakGlassId": broke["breakGlass"]["id"],
    }  # fmt: skip

    refused = await refusal(
        api, DISCLOSE, {"input": {**given, "dataKinds": ["THERAPY", "DOSING"]}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    await api.ok(DISCLOSE, {"input": {**given, "dataKinds": ["THERAPY"]}}, role=Role.PROGRAM_ADMIN)
    listed = await api.ok(DISCLOSURES, {"id": client_id}, role=Role.PROGRAM_ADMIN)

    assert (refused["code"], refused["field"], refused["rule"]) == (
        "RULE_VIOLATION", "dataKinds", "emergency-covers-kinds",
    )  # fmt: skip
    assert [d["dataKinds"] for d in listed["disclosures"]] == [["therapy"]]
