"""``accessAsOf``'s access-log entry names every kind it returned: the user's memberships
(care) and the consents naming them (consent) come back whatever the user could see at T,
and the entry named only the kinds of the timeline, none at all when T's answer was a
refusal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_access import CONSENT, END, access_log
from test_record_export_api import AS_OF, AUDITOR, enroll

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform


async def test_the_memberships_and_consents_returned_are_logged_as_read(api: Api) -> None:
    client = await enroll(api, "OTP")
    await api.join_care_team(client, Role.NURSE, "nurse-asof")
    await api.ok(
        CONSENT,
        {"input": {"clientId": client, "purpose": "treatment", "dataKinds": ["CARE"],
                   "recipients": [{"type": "MEMBER", "id": "nurse-asof", "name": "N."}],
                   "signedOn": str(datetime.now(UTC).date()), "expiryEvent": "end of treatment",
                   "signedBy": "Jo R."}},
        role=Role.PROGRAM_ADMIN,
    )  # fmt: skip
    await api.join_care_team(client, Role.NURSE, "nurse-gone")
    for nurse in ("nurse-asof", "nurse-gone"):
        ended = {"clientId": client, "memberId": nurse, "reason": "rotation"}
        await api.ok(END, {"input": ended}, role=Role.PROGRAM_ADMIN)
    before = datetime(2000, 1, 1, tzinfo=UTC)  # nothing recorded yet: nothing to return
    asked = {"user": "nurse-asof", "role": "NURSE", "id": client}

    at_now = {"at": datetime.now(UTC).isoformat()}
    now = await api.ok(AS_OF, asked | at_now, **AUDITOR)
    gone = await api.ok(AS_OF, asked | at_now | {"user": "nurse-gone"}, **AUDITOR)
    await api.ok(AS_OF, asked | {"at": before.isoformat()}, **AUDITOR)

    found = now["accessAsOf"]
    assert found["memberships"]
    assert found["consents"]
    assert gone["accessAsOf"]["refusal"] is not None
    assert gone["accessAsOf"]["memberships"]
    logged = [
        (sorted(e["kindsReturned"]), e["entriesReturned"])
        for e in await access_log(api, client)
        if e["operation"] == "accessAsOf"
    ]
    timeline = {e["kind"] for e in found["timeline"]}
    assert logged == [
        (sorted(timeline | {"care", "consent"}), len(found["timeline"])),
        (["care"], 0),  # refused at T: only the membership that had ended
        ([], 0),
    ]
