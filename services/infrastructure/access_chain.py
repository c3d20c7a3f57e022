"""The access log's hash chain: each entry carries its predecessor's hash and its own.

``hash = SHA-256(prev_hash || canonical(entry))``, where the canonical form is the entry's
JSON with sorted keys and no spaces (what the ``event`` column holds, re-serialized), and
the first entry's ``prev_hash`` is 32 zero bytes. Altering an entry breaks its own hash;
removing or reordering one breaks its successor's ``prev_hash``. Removing the newest entries
leaves a valid, shorter chain: an auditor keeps the head (seq and hash) a verification
reports and compares it next time (docs/access.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CHAIN = "sha256-v1"
GENESIS = bytes(32)
FIRST_SEQ = 1
"""The log numbers its entries from 1 (a bigserial): an entry below was put there."""


def canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(prev_hash: bytes, entry: Mapping[str, Any]) -> bytes:
    return hashlib.sha256(prev_hash + canonical(entry)).digest()


@dataclass(frozen=True, slots=True)
class Broken:
    """The first link that does not hold, and which check failed."""

    seq: int
    rule: str
    message: str


def check(
    seq: int, prev_hash: bytes, stored_prev: bytes | None, stored_hash: bytes | None, entry: Any
) -> Broken | None:
    """Whether the entry at ``seq`` follows ``prev_hash`` and still has its recorded hash."""
    if seq < FIRST_SEQ:
        text = f"entry {seq} is numbered where the log never numbers one (it numbers from 1)"
        return Broken(seq, "seq", f"{text}: it was put there")
    if stored_hash is None:
        return Broken(seq, "unchained", f"entry {seq} carries no hash")
    if stored_prev != prev_hash:
        if stored_prev is None or link(stored_prev, entry) != stored_hash:
            # Its prev_hash is part of what it hashes: one removed before it leaves it hashing
            # as written, a link changed in the entry itself does not.
            text = f"entry {seq} was altered after it was written: its link to the one before"
            return Broken(seq, "hash", f"{text} was changed")
        return Broken(
            seq,
            "prev-hash",
            f"entry {seq} does not follow the entry before it: one was removed or reordered",
        )
    if link(prev_hash, entry) != stored_hash:
        return Broken(seq, "hash", f"entry {seq} was altered after it was written")
    return None
