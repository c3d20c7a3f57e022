"""Two clients of a caseload alike in everything it orders by, their names too (two Alex
R.), keep their places from one read to the next: the statement returns the clients in no
order, and they came out in whatever order it did, so they swapped as the caseload grew."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from carecoord.graphql.caseload import CaseloadClient, sort_key

SINCE = datetime(2026, 11, 2, 9, tzinfo=UTC)


def alike(client_id: str) -> CaseloadClient:
    return CaseloadClient(
        client_id=UUID(client_id),
        display_name="Alex R.",
        program="OTP",
        on_team_since=SINCE,
        needs_attention=["check-in overdue"],
        open_alerts=0,
        highest_alert_severity=None,
        consecutive_missed_days=0,
        recent_missed_days=0,
        last_dose_day=None,
        last_check_in_at=None,
        check_in_due_at=SINCE,
        check_in_overdue=True,
        upcoming_sessions=0,
        next_session_at=None,
    )


def test_clients_alike_keep_one_order_whatever_order_they_are_read_in() -> None:
    first = alike("00000000-0000-4000-8000-0000000000a1")
    second = alike("00000000-0000-4000-8000-0000000000b2")
    assert sorted([second, first], key=sort_key) == [first, second]
    assert sorted([first, second], key=sort_key) == [first, second]
