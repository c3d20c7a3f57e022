"""graphql/isoformat.py writes what ``datetime.isoformat`` writes, whatever the zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from carecoord.graphql.isoformat import isoformat

ZONES = st.sampled_from(
    [
        None,
        UTC,
        ZoneInfo("UTC"),
        ZoneInfo("Etc/UTC"),
        timezone(timedelta(0)),
        ZoneInfo("Europe/Paris"),  # before 1911: an offset of 9 minutes 21 seconds
        ZoneInfo("America/St_Johns"),
        timezone(timedelta(seconds=37)),
        timezone(timedelta(hours=-9, minutes=-30)),
    ]
)


@given(st.datetimes(timezones=ZONES))
def test_the_text_of_isoformat(value: datetime) -> None:
    assert isoformat(value) == value.isoformat()


def test_a_datetime_subclass_keeps_its_own_isoformat() -> None:
    class Shifted(datetime):
        def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
            return "shifted"

    assert isoformat(Shifted(2024, 1, 1, tzinfo=UTC)) == "shifted"
