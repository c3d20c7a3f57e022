"""An access-log entry whose own link to the entry before it was changed is named altered
(``hash``), not an entry removed or reordered before it, nor one without a hash."""

from __future__ import annotations

from carecoord.services.infrastructure.access_chain import GENESIS, check, link

FIRST = {"type": "audit.ClientRecordRead", "seq": "first"}
SECOND = {"type": "audit.ClientRecordRead", "seq": "second"}


def test_an_entry_chained_to_its_own_hash_was_altered() -> None:
    before = link(GENESIS, FIRST)
    own = link(before, SECOND)

    broken = check(2, before, own, own, SECOND)

    assert broken is not None
    assert (broken.seq, broken.rule) == (2, "hash")
    assert "removed or reordered" not in broken.message


def test_an_entry_whose_link_alone_was_removed_was_altered_and_still_has_its_hash() -> None:
    before = link(GENESIS, FIRST)

    broken = check(2, before, None, link(before, SECOND), SECOND)

    assert broken is not None
    assert (broken.seq, broken.rule) == (2, "hash")
    assert "carries no hash" not in broken.message


def test_an_entry_after_one_removed_still_says_so() -> None:
    removed = link(GENESIS, FIRST)
    written = link(removed, SECOND)

    broken = check(1, GENESIS, removed, written, SECOND)

    assert broken is not None
    assert (broken.seq, broken.rule) == (1, "prev-hash")


def test_an_entry_without_a_hash_is_still_unchained() -> None:
    broken = check(2, link(GENESIS, FIRST), None, None, SECOND)

    assert broken is not None
    assert broken.rule == "unchained"
