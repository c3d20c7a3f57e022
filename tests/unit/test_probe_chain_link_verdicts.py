"""A row whose own link to the event before it was changed is named altered at that row,
not an insertion after itself, a row before it recomputed, or a hash removed."""

from __future__ import annotations

import uuid

from carecoord.services.infrastructure.chain_verification import Row, Verdict, judge
from carecoord.services.infrastructure.event_chain import GENESIS, link


def chain(count: int) -> list[Row]:
    rows: list[Row] = []
    prev = GENESIS
    for position in range(1, count + 1):
        originator, state = uuid.uuid4(), b'{"n": %d}' % position
        hashed = link(prev, position, originator, 1, "care.ClientEnrolled", state)
        rows.append(Row(position, originator, 1, "care.ClientEnrolled", state, prev, hashed))
        prev = hashed
    return rows


def relinked(row: Row, prev_hash: bytes | None) -> Row:
    return Row(
        row.position, row.originator_id, row.version, row.topic, row.state, prev_hash, row.hash
    )


def test_a_row_chained_to_its_own_hash_is_altered_there() -> None:
    rows = chain(4)
    row = relinked(rows[2], rows[2].hash)

    broken = judge(row, rows[1], rows[3], source=row.position)

    assert (broken.position, broken.verdict) == (3, Verdict.ALTERED)
    assert "inserted" not in broken.message
    assert "event 3 " in broken.message
    assert "link" in broken.message


def test_a_row_chained_to_a_hash_no_row_has_blames_itself_when_it_no_longer_hashes() -> None:
    rows = chain(4)
    row = relinked(rows[2], b"\x01" * 32)

    broken = judge(row, rows[1], rows[3], source=None)

    assert (broken.position, broken.verdict) == (3, Verdict.ALTERED)
    assert "event 2 was altered" not in broken.message
    assert "link" in broken.message


def test_a_row_after_one_altered_and_rehashed_still_blames_the_one_before() -> None:
    rows = chain(4)
    before = Row(
        2,
        rows[1].originator_id,
        1,
        rows[1].topic,
        b"changed",
        rows[1].prev_hash,
        link(rows[1].prev_hash or GENESIS, 2, rows[1].originator_id, 1, rows[1].topic, b"changed"),
    )

    broken = judge(rows[2], before, rows[3], source=None)

    assert (broken.position, broken.verdict) == (3, Verdict.ALTERED)
    assert "event 2 was altered" in broken.message


def test_a_row_whose_link_alone_was_removed_is_not_said_to_have_lost_its_hash() -> None:
    rows = chain(4)
    row = relinked(rows[2], None)

    broken = judge(row, rows[1], rows[3], source=None)

    assert (broken.position, broken.verdict) == (3, Verdict.ALTERED)
    assert "hash removed" not in broken.message
    assert "link" in broken.message
