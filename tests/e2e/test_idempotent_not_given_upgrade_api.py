"""A dose not given retried with its Idempotency-Key after an upgrade answers with its first
outcome: the release before entries had ids kept the order's id alone as the result, and
the retry the nurse's app sent across the upgrade failed as an internal error."""

from __future__ import annotations

import json
from datetime import date

import pytest
from medication_steps import Clinic, mutation
from test_idempotent_mutations import post

from support import Api

pytestmark = pytest.mark.shared_platform

RECORD = mutation("DoseNotGivenInput", "recordDoseNotGiven", "{ id position entryId }")


async def test_a_not_given_kept_by_the_release_before_entry_ids_replays_with_its_entry(
    api: Api, today: date
) -> None:
    clinic = await Clinic.enroll(api, "Ash T.")
    order = (await clinic.methadone("40", today))["id"]
    variables = {"i": {"clientId": clinic.client_id, "orderId": order, "reason": "DECLINED"}}
    first = await post(api, RECORD, variables, key="upgrade/ash")
    kept_then = json.dumps({"type": "uuid", "value": order}).encode()
    seal = api.platform.store.catalog_mapper.seal
    async with api.platform.pool.connection() as conn:  # as that release kept it
        await conn.execute(
            "UPDATE idempotency_keys SET result = %s WHERE key = %s",
            (seal(kept_then), "upgrade/ash#recordDoseNotGiven"),
        )

    again = await post(api, RECORD, variables, key="upgrade/ash")

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["data"]["recordDoseNotGiven"]["id"] == order
