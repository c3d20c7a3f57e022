"""``audit verify --access-log-head`` takes only a head an earlier verify could have printed:
an entry number past a bigint was judged against the log and reported as entries removed
(exit 1, tampering), as " 5" and "5_0" were read as entries 5 and 50."""

from __future__ import annotations

import argparse

import pytest

from carecoord.services.runtime.audit_cli import kept_head

HASH = "ab" * 32


@pytest.mark.parametrize("seq", [str(2**63), "9" * 30, " 5", "5_0", "+5", "\u0665"])
def test_an_entry_number_no_entry_has_is_refused(seq: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not SEQ:HASH"):
        kept_head(f"{seq}:{HASH}")


@pytest.mark.parametrize("seq", [0, 5, 2**63 - 1])
def test_a_head_verify_prints_is_taken(seq: int) -> None:
    assert kept_head(f"{seq}:{HASH}") == (seq, bytes.fromhex(HASH))
