"""``audit projections`` cannot judge a read model an earlier version of it built, not yet
rebuilt, whose rows differ from what this code derives: the projector of this release
rebuilds it as it starts, and until then its rows differ wherever the versions derive
otherwise. It says so, exit 2; it called such a model changed by hand (``DIFFERS``, exit 1,
the status of a tampered model). Rows the same are still judged the same."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from audit_cli import audit
from test_probe_audit_projection_positions import NAME, enrolled_with_a_nurse

from carecoord.projections import careteam
from carecoord.projections.projector import current_generation, version
from carecoord.services.platform import Platform


async def test_a_model_an_earlier_version_built_and_differing_cannot_be_judged(
    platform: Platform, tmp_path: Path
) -> None:
    await enrolled_with_a_nurse(platform)
    earlier = version(careteam) - 1
    url = platform.database_url
    async with platform.pool.connection() as conn:
        await conn.execute(
            "UPDATE projection_generations SET version = %s WHERE name = %s",
            (earlier, careteam.NAME),
        )
    same = await asyncio.to_thread(audit, url, tmp_path, "projections")
    async with platform.pool.connection() as conn:  # a row the earlier version wrote otherwise
        live = careteam.table(await current_generation(conn, careteam.NAME))
        await conn.execute(f"UPDATE {live.as_string(conn)} SET role = 'therapist'")

    as_json = await asyncio.to_thread(audit, url, tmp_path, "projections", "--json")
    as_text = await asyncio.to_thread(audit, url, tmp_path, "projections")

    assert same.returncode == 0, same.stdout + same.stderr
    assert as_json.returncode == as_text.returncode == 2, as_json.stdout + as_json.stderr
    (model,) = [m for m in json.loads(as_json.stdout)["models"] if not m["intact"]]
    assert (model["name"], model["judged"]) == (careteam.NAME, False)
    assert (model["builtWith"], model["derivedWith"]) == (earlier, version(careteam))
    assert (
        f"{careteam.NAME:<20} CANNOT JUDGE built by version {earlier} of it, an earlier one"
        f" than this code's {version(careteam)}, and 1 differing"
    ) in as_text.stdout
    assert "DIFFERS" not in as_text.stdout
    assert NAME not in as_text.stdout + as_text.stderr + as_json.stdout
