"""A no-show corrected to attended marks the repeated no-show alert it was evidence of, as a
check-in entered in error does: the alert stays open for the care team to resolve, and lists
the corrected no-show under evidenceInError. Before, it stayed open with nothing showing that
one of its two no-shows had been attended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_alerts_clinical_order import enrolled

from carecoord.events import Role
from support import Api, mutation

pytestmark = pytest.mark.shared_platform

CORRECT = mutation("CorrectSessionOutcomeInput", "correctSessionOutcome")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId status evidence evidenceInError } }"""


async def test_a_no_show_corrected_to_attended_is_evidence_in_error(api: Api) -> None:
    client = await enrolled(api)
    now = datetime.now(UTC)
    first = await client.session(now - timedelta(days=3), "NO_SHOW")
    await client.session(now - timedelta(days=2), "NO_SHOW")

    async def alerts() -> list[dict[str, Any]]:
        data = await api.ok(
            ALERTS, {"id": client.client_id, "atLeast": client.position},
            role=Role.THERAPIST, user=client.therapist,
        )  # fmt: skip
        return list(data["clientAlerts"])

    [raised] = await alerts()
    assert (raised["ruleId"], raised["evidenceInError"]) == ("repeated-no-shows", [])
    evidence = raised["evidence"]
    assert len(evidence) == 2
    await client.send(
        CORRECT, Role.THERAPIST, client.therapist, clientId=client.client_id, sessionId=first,
        outcome="ATTENDED", durationMinutes=50, reason="signed in late at the front desk",
    )  # fmt: skip
    [corrected] = await alerts()
    assert corrected["status"] == "OPEN"
    assert corrected["evidenceInError"] == [evidence[0]]
