"""A follower of the log far behind it says so in the log: where it starts and the store's
head, how far it is every few seconds while its pages come full, and when it has caught up.
A projector restarted after thousands of events piled up logged nothing until it was done."""

from __future__ import annotations

import logging

import pytest

from carecoord.services.infrastructure.catching_up import CatchingUp


def said(caplog: pytest.LogCaptureFixture) -> list[tuple[str, dict[str, object]]]:
    fields = ("follower", "position", "head", "behind", "events", "events_per_second")
    return [
        (r.getMessage(), {f: getattr(r, f) for f in fields if hasattr(r, f)})
        for r in caplog.records
        if r.name == "carecoord.catching_up"
    ]


def follower(head: int, every: float) -> CatchingUp:
    async def at_head() -> int:
        return head

    return CatchingUp("projections", at_head, every=every)


async def test_a_follower_behind_says_where_it_is_until_it_has_caught_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "carecoord.catching_up")
    behind = follower(head=1500, every=0)  # a line for every full page

    await behind.start(100)
    await behind.moved(600, 500, full=True)
    await behind.moved(1100, 500, full=True)
    await behind.moved(1500, 400, full=False)

    lines = said(caplog)
    assert [msg for msg, _ in lines] == ["catching up"] * 3 + ["caught up"]
    assert lines[0][1] == {"follower": "projections", "position": 100, "head": 1500,
                           "behind": 1400}  # fmt: skip
    assert lines[2][1]["position"] == 1100
    assert lines[2][1]["behind"] == 400
    assert "events_per_second" in lines[2][1]
    assert lines[3][1] == {"follower": "projections", "position": 1500, "events": 1400}


async def test_a_follower_keeping_up_or_a_short_burst_says_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "carecoord.catching_up")
    keeping_up = follower(head=100, every=60)

    await keeping_up.start(100)
    await keeping_up.moved(110, 10, full=False)
    await keeping_up.moved(610, 500, full=True)  # a burst, over within the minute
    await keeping_up.moved(650, 40, full=False)

    assert said(caplog) == []


async def test_a_backlog_built_up_while_following_is_said_once_it_lasts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "carecoord.catching_up")
    falling_behind = follower(head=5000, every=0)

    await falling_behind.start(5000)
    await falling_behind.moved(5500, 500, full=True)  # seen: from here it is said
    await falling_behind.moved(6000, 500, full=True)
    await falling_behind.moved(6100, 100, full=False)

    assert [msg for msg, _ in said(caplog)] == ["catching up", "catching up", "caught up"]
    assert said(caplog)[-1][1]["events"] == 1100
