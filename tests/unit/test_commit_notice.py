"""A commit's NOTIFY payload: what it stored, read back; too long or not ours, nothing."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import StoredEvent

from carecoord.services.infrastructure import commit_notice


def stored(aggregate: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(aggregate, version, "topic", b"{}")


def test_a_commit_says_its_last_position_and_each_records_newest_version() -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    said = commit_notice.notice([41, 42, 43], [stored(one, 7), stored(two, 1), stored(one, 8)])
    assert commit_notice.read(said) == commit_notice.Notice(43, {one: 8, two: 1})


def test_a_commit_too_long_to_say_says_nothing() -> None:
    events = [stored(uuid.uuid4(), 1) for _ in range(300)]
    assert commit_notice.notice(list(range(1, 301)), events) == ""
    assert commit_notice.read("") is None


HEX = "0f" * 16


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "x",
        "-1",
        "١٢",  # digits, not ASCII
        "1" * 19,
        f"5 {HEX}",
        f"5 {HEX}:",
        f"5 {HEX}:x",
        f"5 {HEX[:31]}:1",
        f"5 {'g' * 32}:1",
        f"5  {HEX}:1",
    ],
)
def test_a_payload_not_of_this_form_is_no_notice(payload: str) -> None:
    """Anyone who may NOTIFY on the channel may send anything: it is read as no notice,
    and the rows are read instead."""
    assert commit_notice.read(payload) is None
