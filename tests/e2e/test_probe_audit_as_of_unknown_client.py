"""``accessAsOf`` of a client id no event names (a mistyped id) is refused naming
``clientId`` (``NOT_FOUND``, ``unknown-client``), as ``verifyClientRecord`` and the exports
are, and logged as a read returning none. Before, it answered that the user was refused for
not being on the client's care team, as if the client existed and the user had been kept out:
an auditor's evidence of a refusal that never happened."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from test_access import access_log

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

AS_OF = """query($id: UUID!, $at: DateTime!) {
  accessAsOf(userId: "nurse-kim", role: NURSE, clientId: $id, at: $at) {
    grant { basis } refusal { rule } } }"""


async def test_a_client_id_no_event_names_is_not_found_and_logged(api: Api) -> None:
    unknown = str(uuid4())
    body = await api.gql(
        AS_OF, {"id": unknown, "at": datetime.now(UTC).isoformat()}, role=Role.AUDITOR
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "field": "clientId",
        "rule": "unknown-client",
    }
    [entry] = [e for e in await access_log(api, unknown) if e["operation"] == "accessAsOf"]
    assert (entry["readerRole"], entry["outcome"], entry["entriesReturned"]) == (
        "auditor",
        "GRANTED",
        0,
    )
