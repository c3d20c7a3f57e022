"""The DEA log's version 2 derives a line per take-home bottle returned, and version 3 when
its witness confirmed it (as the dosing view's version 5 does): a rebuild from the store
makes the same lines the projector made, and ``audit projections`` finds them intact."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

from platform_env import carecoord
from test_take_home_return_api import DEA_LOG, RETURN, WITNESS, bottles, home_with_bottles
from test_take_home_return_witness_api import confirm, dea_lines, returned_entries

from carecoord.events import Role
from carecoord.services.platform import Platform
from carecoord.services.runtime.bootstrap import Servers
from support import Api


async def test_a_rebuilt_log_keeps_the_returns_and_the_audit_finds_it_intact(
    api: Api, platform: Platform, servers: Servers, tmp_path: Path, today: date
) -> None:
    clinic, _, dispense_id = await home_with_bottles(api, today, "Lena W.")
    later = [today + timedelta(days=n) for n in (1, 2)]
    await clinic.nurse(RETURN, bottles=bottles(dispense_id, *later), witnessId=WITNESS)
    asked = {"from": str(today), "to": str(today), "atLeast": clinic.position}
    before = await api.ok(DEA_LOG, asked, role=Role.AUDITOR, user="auditor-lee")

    rebuilt = await asyncio.to_thread(
        carecoord, platform, servers, tmp_path, "rebuild", "dispensing_log"
    )
    audited = await asyncio.to_thread(
        carecoord, platform, servers, tmp_path, "audit", "projections"
    )

    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert audited.returncode == 0, audited.stdout + audited.stderr
    after = await api.ok(DEA_LOG, asked, role=Role.AUDITOR, user="auditor-lee")
    assert after == before
    returned = [r["amountReturned"] for r in after["dispensingLog"]["rows"]]
    assert returned == [None, "60", "60"]


async def test_rebuilt_views_keep_the_confirmation_and_the_audit_finds_them_intact(
    api: Api, platform: Platform, servers: Servers, tmp_path: Path, today: date
) -> None:
    clinic, _, dispense_id = await home_with_bottles(api, today, "Ivo R.")
    witness = f"nurse-{uuid4().hex[:8]}"
    clinic.position = await api.join_care_team(clinic.client_id, Role.NURSE, witness)
    back = await clinic.nurse(RETURN, bottles=bottles(dispense_id, today), witnessId=witness)
    done = await confirm(api, clinic, back["id"], witness, Role.NURSE)
    clinic.position = done["data"]["witnessTakeHomeReturn"]["position"]
    before = (await dea_lines(api, clinic, today), await returned_entries(api, clinic))
    assert before[0][0]["witnessedAt"] is not None

    for model in ("dispensing_log", "dosing"):
        rebuilt = await asyncio.to_thread(carecoord, platform, servers, tmp_path, "rebuild", model)
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    audited = await asyncio.to_thread(
        carecoord, platform, servers, tmp_path, "audit", "projections"
    )

    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert (await dea_lines(api, clinic, today), await returned_entries(api, clinic)) == before
