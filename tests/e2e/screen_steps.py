"""A drug screen through the API and the alerts it raised, for the alert rules' end-to-end
tests."""

from __future__ import annotations

from typing import Any

from carecoord.events import Role
from support import Api, mutation

SCREEN = mutation("RecordDrugScreenInput", "recordDrugScreen")
ALERTS = """query($id: UUID!, $atLeast: Seq) { clientAlerts(clientId: $id, atLeast: $atLeast) {
  ruleId ruleVersion detail raisedAt raisedOn } }"""
BENZODIAZEPINES_NO_METHADONE = {"benzodiazepines": "POSITIVE", "methadone": "NEGATIVE",
                                "eddp": "NEGATIVE"}  # fmt: skip


async def benzodiazepines_without_methadone(
    api: Api, client_id: str, collected: str, nurse: str
) -> list[dict[str, Any]]:
    """The alerts raised by a screen collected at ``collected`` (ISO, UTC) positive for
    benzodiazepines and negative for methadone, recorded by ``nurse``; by rule id."""
    given = [{"analyte": a, "result": r} for a, r in BENZODIAZEPINES_NO_METHADONE.items()]
    recorded = await api.ok(
        SCREEN,
        {"input": {"clientId": client_id, "method": "PRESUMPTIVE", "results": given,
                   "collectedAt": collected}},
        role=Role.NURSE, user=nurse,
    )  # fmt: skip
    found = await api.ok(
        ALERTS, {"id": client_id, "atLeast": recorded["recordDrugScreen"]["position"]},
        role=Role.NURSE, user=nurse,
    )  # fmt: skip
    raised = [a for a in found["clientAlerts"] if a["raisedAt"] == collected]
    return sorted(raised, key=lambda a: str(a["ruleId"]))
