"""The relay's process anchors the event chain once more as it stops. A stop cancels its
loops every half second until they end (``cancel_loops``), and a last anchor taking longer,
on a loaded machine, was cut short by the next cancel and never made."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from carecoord.services.infrastructure.chain_anchors import Anchor, Anchoring
from carecoord.services.infrastructure.liveness import RECANCEL_SECONDS, Liveness, cancel_loops
from carecoord.services.infrastructure.settings import Settings


class SlowAnchoring(Anchoring):
    """Its anchor takes longer than two of the stop's cancels."""

    made = 0

    async def anchor(self) -> Anchor | None:
        await asyncio.sleep(2.5 * RECANCEL_SECONDS)
        self.made += 1
        return None


async def test_the_anchor_at_stop_is_made_however_often_the_stop_cancels(tmp_path: Path) -> None:
    settings = Settings(jwt_secret="anchor-tests-secret-anchor-tests-secret", data_dir=tmp_path)
    anchoring = SlowAnchoring(cast("Any", None), cast("Any", None), settings, Liveness())
    running = asyncio.create_task(anchoring.run())
    await asyncio.sleep(0)

    await cancel_loops([running])

    assert anchoring.made == 1
    assert running.cancelled()
