"""What a commit stored, said in its NOTIFY: its last position and each record's newest
version. Another process's cache learns of it from the notice alone
(``cache_freshness.py``), where it read the rows after each commit anywhere: with N API
processes, every commit cost N-1 queries. A notice too long for a NOTIFY (8,000 bytes) is
sent empty, and an empty or unreadable one is answered by reading the rows, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import StoredEvent

LONGEST = 7999
"""Bytes of the longest payload PostgreSQL sends (a longer one fails the transaction)."""


@dataclass(frozen=True, slots=True)
class Notice:
    position: int
    versions: dict[UUID, int]


def notice(positions: Sequence[int], stored: Sequence[StoredEvent]) -> str:
    """The payload for a commit of ``stored``, numbered ``positions``; empty when too long."""
    if not positions or len(positions) != len(stored):
        return ""
    newest: dict[UUID, int] = {}
    for event in stored:
        aid = UUID(str(event.originator_id))
        newest[aid] = max(newest.get(aid, 0), int(event.originator_version))
    said = " ".join([str(max(positions)), *(f"{aid.hex}:{v}" for aid, v in newest.items())])
    return said if len(said) <= LONGEST else ""


def read(payload: str) -> Notice | None:
    """The notice in ``payload``; None for one that says nothing readable (empty, another
    version's, or not ours: anyone who may NOTIFY on the channel may send anything)."""
    first, *named = payload.split(" ")
    position = _number(first)
    if position is None:
        return None
    versions: dict[UUID, int] = {}
    for item in named:
        hexed, _, said = item.partition(":")
        version = _number(said)
        if version is None or len(hexed) != 32:
            return None
        try:
            versions[UUID(hex=hexed)] = version
        except ValueError:
            return None
    return Notice(position, versions)


def _number(text: str) -> int | None:
    """A position or a version: ASCII digits, within a bigint."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)
