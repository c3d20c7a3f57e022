"""The care stream as a deployment configured it survives a carecoord process's start: each
start brings the stream's subjects, duplicate window and replicas to the settings, and
updated with those alone the stream lost a retention the deployment gave it (docs/events.md,
"Reading the whole history") and a ``deny_delete`` that protected it, at every start."""

from __future__ import annotations

import dataclasses

from carecoord.services.infrastructure.broker import ensure_stream
from carecoord.services.platform import Platform

MONTH = 30 * 24 * 3600.0


async def test_a_start_keeps_the_retention_and_protection_the_deployment_gave_the_stream(
    platform: Platform,
) -> None:
    js = platform.broker.connection.jetstream()
    name = platform.settings.stream_name
    held = (await js.stream_info(name)).config
    await js.update_stream(
        dataclasses.replace(
            held, max_age=MONTH, max_msgs=1_000_000, deny_delete=True, description="ours"
        )
    )

    await ensure_stream(platform.broker, platform.settings)  # as a process's start does

    kept = (await js.stream_info(name)).config
    assert (kept.max_age, kept.max_msgs, kept.deny_delete, kept.description) == (
        MONTH,
        1_000_000,
        True,
        "ours",
    )

    wider = platform.settings.model_copy(update={"duplicate_window_seconds": 7200.0})
    await ensure_stream(platform.broker, wider)  # a setting changed: applied, the rest kept

    changed = (await js.stream_info(name)).config
    assert changed.duplicate_window == 7200.0
    assert (changed.max_age, changed.max_msgs, changed.deny_delete) == (MONTH, 1_000_000, True)
