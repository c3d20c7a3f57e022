"""What a client could see of their own record at a time, asked with their id as a token may
carry it (capitals, no hyphens, braces): the gate reads any of them as the client, so the
client read their record, yet ``accessAsOf`` compared the text with the client id and
answered that they could not (own-record-only), an auditor told of a refusal that never was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carecoord.events import Role
from support import Api, mutation

ENROLL = mutation("EnrollClientInput", "enrollClient")
AS_OF = """query($user: String!, $client: UUID!, $at: DateTime!) {
  accessAsOf(userId: $user, role: CLIENT, clientId: $client, at: $at) {
    userId grant { basis } refusal { rule } } }"""


@pytest.mark.shared_platform
async def test_a_client_is_themself_however_their_id_is_written(api: Api) -> None:
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Kim", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = str(enrolled["enrollClient"]["id"])
    at = datetime.now(UTC).isoformat()

    for written in (client_id.upper(), client_id.replace("-", ""), "{" + client_id + "}"):
        found = await api.ok(
            AS_OF, {"user": written, "client": client_id, "at": at}, role=Role.AUDITOR
        )
        assert found["accessAsOf"]["refusal"] is None, written
        assert found["accessAsOf"]["grant"] == {"basis": "SELF"}, written
        assert found["accessAsOf"]["userId"] == client_id
