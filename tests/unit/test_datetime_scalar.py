"""A DateTime argument reads as strawberry's own scalar reads it (``dateutil``'s
``isoparse``): the same value, zone object and refusal, the common form read faster; but
an hour 24, which ``isoparse`` reads as the next day's midnight, is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

import pytest
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition

from carecoord.graphql import datetimes
from carecoord.graphql.datetimes import DATETIME, parse_value

strawberrys = cast("Callable[[object], datetime]", DateTimeDefinition.parse_value)

WRITTEN = [
    "2026-11-27T12:00:00Z",
    "2026-11-27T12:00:00z",
    "2026-11-27T12:00:00+00:00",
    "2026-11-27T12:00:00-00:00",
    "2026-11-27T12:00:00.5+05:30",
    "2026-11-27T12:00:00.123456-12:00",
    "1900-01-01T00:00:00+14:00",
    "2026-11-27T12:00:00.1234567Z",
    "2026-11-27T12:00:00",
    "2026-11-27 12:00:00Z",
    "20261127T120000Z",
    "2026-11-27",
]
REFUSED = ["2026-02-30T12:00:00Z", "2026-11-27T12:00:60Z", "yesterday", "2026-11-27T12:00:00+25:00"]


@pytest.mark.parametrize("text", WRITTEN)
def test_a_time_reads_as_isoparse_reads_it(text: str) -> None:
    read = parse_value(text)
    expected = strawberrys(text)
    assert read == expected
    assert repr(read) == repr(expected)  # the same fields, and the same kind of zone


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-27T24:00:00Z",
        "2026-11-27T24:00:00.000+05:30",
        "2026-11-27T24:00Z",
        "2026-11-27 24:00:00Z",
        "20261127T2400Z",
        "2026-W48-5T24:00Z",
    ],
)
def test_an_hour_24_is_refused_where_isoparse_reads_the_next_day(text: str) -> None:
    """A dose given "at 24:00 on the 27th" was charted on the 28th: its day, slot and the
    day's limits all the next day's."""
    assert strawberrys(text).hour == 0
    with pytest.raises(StrawberryInputCoercionError, match="24:00 is the day's end"):
        parse_value(text)


@pytest.mark.parametrize("text", ["2026-11-27T12:24:00Z", "2024-12-24T23:59:59Z"])
def test_a_24_elsewhere_is_read(text: str) -> None:
    assert parse_value(text) == strawberrys(text)


@pytest.mark.parametrize("text", REFUSED)
def test_a_time_refused_is_refused_in_the_same_words(text: str) -> None:
    with pytest.raises(StrawberryInputCoercionError) as ours:
        parse_value(text)
    with pytest.raises(StrawberryInputCoercionError) as theirs:
        strawberrys(text)
    assert str(ours.value) == str(theirs.value)


def test_the_form_clients_send_is_read_without_isoparse(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "2026-11-27T12:00:00.5+05:30"
    expected = strawberrys(text)
    parse_value(text)  # its zone found once

    def slow(value: object) -> datetime:
        raise AssertionError(f"{value} went to isoparse")

    monkeypatch.setattr(datetimes, "_STRAWBERRYS", slow)
    assert parse_value(text) == expected
    assert DATETIME.parse_value is parse_value
