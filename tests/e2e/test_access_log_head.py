"""``verifyAccessLog``'s head is one entry, whether the chain holds or not: ``headSeq`` is
the last entry verified intact and ``headHash`` that entry's hash (the one the export
carries for it), so an auditor who keeps the pair keeps a point the next review can check
the chain still passes through. With a break, the head is the entry before it; with none
verified, seq 0 and the chain's genesis (32 zero bytes)."""

from __future__ import annotations

import base64
from typing import Any

from test_access_log_chain import AUDITOR, EXPORT, tamper, three_reads, verification

from support import Api

GENESIS = "00" * 32


async def exported_hashes(api: Api) -> dict[int, str]:
    """Each exported entry's hash (hex), by its seq."""
    exported = (await api.ok(EXPORT, **AUDITOR))["accessLogAuditEvents"]
    hashes: dict[int, str] = {}
    for resource in exported:
        chain: dict[str, Any] = {p["url"]: p for p in resource["extension"][0]["extension"]}
        hashes[chain["seq"]["valueInteger"]] = base64.b64decode(
            chain["hash"]["valueBase64Binary"]
        ).hex()
    return hashes


async def test_an_intact_log_reports_its_last_entry_and_that_entrys_hash(api: Api) -> None:
    await three_reads(api)

    head = await verification(api)
    hashes = await exported_hashes(api)

    assert head["intact"] is True
    assert head["headSeq"] == max(hashes)
    assert head["headHash"] == hashes[head["headSeq"]]


async def test_a_broken_log_reports_the_last_intact_entry_and_its_own_hash(api: Api) -> None:
    _, entries = await three_reads(api)
    hashes = await exported_hashes(api)
    altered = entries[2]["seq"]

    tamper(
        api,
        "UPDATE access_log SET event = jsonb_set(event, '{entries_returned}', '0') WHERE seq = %s",
        altered,
    )
    found = await verification(api)

    assert (found["intact"], found["brokenAt"], found["rule"]) == (False, altered, "hash")
    assert found["headSeq"] == entries[1]["seq"]
    assert found["headHash"] == hashes[entries[1]["seq"]]
    assert found["entriesChecked"] == 2


async def test_a_log_broken_at_its_first_entry_reports_no_entry_and_the_genesis(
    api: Api,
) -> None:
    _, entries = await three_reads(api)

    tamper(api, "UPDATE access_log SET actor_id = 'someone-else' WHERE seq = %s", entries[0]["seq"])
    found = await verification(api)

    assert (found["brokenAt"], found["rule"]) == (entries[0]["seq"], "columns")
    assert (found["headSeq"], found["headHash"], found["entriesChecked"]) == (0, GENESIS, 0)
