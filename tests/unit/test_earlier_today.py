"""``program_days.earlier_today``, the moments a test on the real clock dates "half an hour
ago, this morning" with: before now, in the order given, and on now's program day at any hour,
the first minutes after the program's midnight among them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from program_days import AHEAD, BEHIND, earlier_today

from carecoord.services.kernel.program_day import program_day

KOLKATA = ZoneInfo("Asia/Kolkata")
ZONES = [ZoneInfo("UTC"), ZoneInfo("America/Los_Angeles"), KOLKATA, AHEAD, BEHIND]


def test_away_from_midnight_each_is_so_many_minutes_before_now() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

    moments = earlier_today(now, ZoneInfo("UTC"), 30, 10, 5)

    assert moments == [now - timedelta(minutes=m) for m in (30, 10, 5)]


@pytest.mark.parametrize(
    ("zone", "midnight"),
    [
        (ZoneInfo("UTC"), datetime(2026, 12, 6, tzinfo=UTC)),
        (KOLKATA, datetime(2026, 12, 5, 18, 30, tzinfo=UTC)),  # 00:00 of 6 December there
    ],
)
def test_just_after_midnight_they_are_drawn_in_between_midnight_and_now(
    zone: ZoneInfo, midnight: datetime
) -> None:
    now = midnight + timedelta(minutes=10, seconds=30)

    moments = earlier_today(now, zone, 30, 25, 10, 5)

    # Ten whole minutes since midnight for the thirty asked for: spread over them.
    assert moments == [midnight + timedelta(minutes=m) for m in (0, 3, 7, 10)]


def test_in_the_first_minute_each_is_as_far_back_as_its_share() -> None:
    midnight = datetime(2026, 12, 7, tzinfo=UTC)
    now = midnight + timedelta(seconds=30)

    moments = earlier_today(now, ZoneInfo("UTC"), 30, 20)

    assert moments == [midnight, now - timedelta(seconds=20)]


def test_a_minute_after_midnight_they_are_charted_in_minutes_of_their_own() -> None:
    """An order written a minute after a dose charted at midnight: the dose is before it in
    the minutes charting times are given in, where a third of a minute apart it was not."""
    midnight = datetime(2026, 12, 7, tzinfo=UTC)
    now = midnight + timedelta(minutes=1, seconds=28)

    given_at, written_at = earlier_today(now, ZoneInfo("UTC"), 30, 20)

    assert (given_at, written_at) == (midnight, midnight + timedelta(minutes=1))


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(ZONES),
)
def test_each_is_on_nows_program_day_before_now_in_the_order_given(
    now: datetime, zone: ZoneInfo
) -> None:
    moments = earlier_today(now, zone, 30, 25, 10, 5)

    assert {program_day(m, zone) for m in moments} == {program_day(now, zone)}
    assert moments == sorted(moments)
    assert moments[-1] <= now
    if now - moments[0] >= timedelta(minutes=3):  # a whole minute for each of the four
        assert len({m.replace(second=0, microsecond=0) for m in moments}) == 4
