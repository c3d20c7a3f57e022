"""``audit projections`` cannot judge a read model a later version of it built (a
release rolled back after its projector rebuilt the model): this code cannot say what that
version derives. It says so, exit 2, as for its other models that cannot be checked. It
reported the model the same, exit 0, whatever the later version had derived."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from audit_cli import audit
from test_probe_audit_projection_positions import NAME, enrolled_with_a_nurse

from carecoord.projections import careteam
from carecoord.projections.projector import version
from carecoord.services.platform import Platform


async def test_a_model_a_later_version_built_cannot_be_judged(
    platform: Platform, tmp_path: Path
) -> None:
    await enrolled_with_a_nurse(platform)
    later = version(careteam) + 1
    async with platform.pool.connection() as conn:
        await conn.execute(
            "UPDATE projection_generations SET version = %s WHERE name = %s",
            (later, careteam.NAME),
        )

    url = platform.database_url
    as_json = await asyncio.to_thread(audit, url, tmp_path, "projections", "--json")
    as_text = await asyncio.to_thread(audit, url, tmp_path, "projections")

    assert as_json.returncode == as_text.returncode == 2, as_json.stdout + as_json.stderr
    report = json.loads(as_json.stdout)
    assert not report["intact"]
    (model,) = [m for m in report["models"] if not m["intact"]]
    assert (model["name"], model["judged"]) == (careteam.NAME, False)
    assert (model["builtWith"], model["derivedWith"]) == (later, version(careteam))
    assert all(m["judged"] for m in report["models"] if m["name"] != careteam.NAME)
    assert (
        f"{careteam.NAME:<20} CANNOT JUDGE built by version {later} of it, a later one than"
        f" this code's {version(careteam)}"
    ) in as_text.stdout
    assert NAME not in as_text.stdout + as_text.stderr + as_json.stdout
