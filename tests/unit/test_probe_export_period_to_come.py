"""An export of a period not yet over (its end to come) was answered as the period whole:
December exported on the 15th held half the month, and what was recorded from then to its
end was in no export, the next starting where that one ended. Now the API refuses it
(``recordedTo``, ``not-in-future``) and so does ``audit export`` (exit 2, before anything
is logged); a period that has ended, or one left open, is taken as before."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carecoord.graphql.record_export import period
from carecoord.projections.audit.settling import SETTLE
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.runtime.audit_export import _refused


def now() -> datetime:
    """Read when each test runs: a time read as the module was imported was past by the time
    a test 5 s ahead of it ran in a full run."""
    return datetime.now(UTC)


@pytest.mark.parametrize("ahead", [timedelta(seconds=5), timedelta(days=20)])
def test_an_api_export_of_a_period_to_come_is_refused_naming_its_end(ahead: timedelta) -> None:
    with pytest.raises(InvalidInput) as refused:
        period(now() - timedelta(days=10), now() + ahead)

    assert (refused.value.field, refused.value.rule) == ("recordedTo", "not-in-future")


def test_an_api_export_of_a_period_ended_or_open_is_taken() -> None:
    settled = now() - SETTLE - timedelta(seconds=1)  # a moment ago: test_export_period_settles
    ended = period(settled - timedelta(days=10), settled)
    opened = period(settled - timedelta(days=10), None)

    assert (ended.end, opened.end) == (settled, None)


def cli(end: datetime | None, tmp_path: Path) -> argparse.Namespace:
    return argparse.Namespace(
        recorded_from=now() - timedelta(days=10), recorded_to=end, out=tmp_path / "out.jsonl"
    )


def test_a_command_line_export_of_a_period_to_come_is_refused(tmp_path: Path) -> None:
    end = now() + timedelta(days=20)

    assert _refused(cli(end, tmp_path)) == (
        f"--to {end.isoformat()} is to come: the period is not over, and what is recorded in"
        " it from now on would be in neither this export nor the next, from its end"
    )


def test_a_command_line_export_of_a_period_ended_or_open_is_taken(tmp_path: Path) -> None:
    assert _refused(cli(now() - timedelta(seconds=1), tmp_path)) is None
    assert _refused(cli(None, tmp_path)) is None


def test_an_export_of_a_period_that_starts_to_come_is_refused_naming_its_start(
    tmp_path: Path,
) -> None:
    """A start to come (a year mistyped) held nothing, read as a quiet period, yet logged a
    read of every client of it, from the API and the command line alike."""
    start = now() + timedelta(days=365)
    with pytest.raises(InvalidInput) as refused:
        period(start, None)
    args = cli(None, tmp_path)
    args.recorded_from = start

    assert (refused.value.field, refused.value.rule) == ("recordedFrom", "not-in-future")
    assert _refused(args) == (
        f"--from {start.isoformat()} is to come: nothing recorded is in the period yet, and"
        " the access log would hold a read of each client of it"
    )


@pytest.mark.parametrize("end", [datetime(1, 1, 1, tzinfo=UTC), datetime(1899, 12, 31, tzinfo=UTC)])
def test_an_api_export_ending_before_anything_is_recorded_is_refused_naming_its_end(
    end: datetime,
) -> None:
    """``recordedTo: "0001-01-01T00:00:00Z"`` held nothing yet logged a read of the client."""
    with pytest.raises(InvalidInput) as refused:
        period(None, end)

    assert (refused.value.field, refused.value.rule) == ("recordedTo", "period-after-records-begin")
