"""An anchors file that is not what the relay writes is refused as unreadable (exit 2), never
judged against the chain: a position that is no store position (0, negative, a boolean, a
fraction, text, infinite, past any bigint), a hash that is not 32 bytes or a time that is not
text made ``audit verify`` report the chain ``rewritten`` (exit 1, tampering), print a
traceback, or round 5.9 to 5 and count the anchor as matched."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from audit_cli import audit
from enrolled_store import enrolled_store

from carecoord.services.infrastructure.chain_anchors import read_anchors
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.runtime.bootstrap import Servers

HEAD = f"SELECT notification_id, encode(hash, 'hex') FROM {TABLE} ORDER BY 1 DESC LIMIT 1"


def line(position: object, hashed: object, at: object = "2026-12-03T09:00:00+00:00") -> str:
    """An anchor line as JSON text (an infinite float as Python's json writes it)."""
    return json.dumps({"chain": "event-sha256-v1", "position": position, "hash": hashed, "at": at})


MALFORMED: dict[str, Callable[[int, str], str]] = {
    "zero": lambda p, h: line(0, h),
    "negative": lambda p, h: line(-p, h),
    "boolean": lambda p, h: line(True, h),
    "fraction": lambda p, h: line(p + 0.9, h),
    "text": lambda p, h: line(str(p), h),
    "infinite": lambda p, h: line(float("inf"), h),
    "past a bigint": lambda p, h: line(2**63, h),
    "short hash": lambda p, h: line(p, h[:2]),
    "spaced hash": lambda p, h: line(p, h[:-2] + "  "),
    "no time": lambda p, h: line(p, h, at=None),
}


@pytest.fixture
def chained(servers: Servers, data_dir: Path) -> Iterator[tuple[str, int, str]]:
    """A fresh database with a chained store of three events, and its head."""
    with enrolled_store(servers, data_dir, 3) as url:
        with psycopg.connect(url) as conn:
            found = conn.execute(HEAD).fetchone()
        assert found is not None
        yield url, int(found[0]), str(found[1])


def audit_verify(url: str, cwd: Path, anchors: Path) -> subprocess.CompletedProcess[str]:
    return audit(url, cwd, "verify", "--anchors", str(anchors))


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_anchor_is_refused_with_its_line(case: str, tmp_path: Path) -> None:
    position, hashed = 5, "ab" * 32
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(line(position, hashed) + "\n" + MALFORMED[case](position, hashed) + "\n")

    with pytest.raises(ValueError, match=r"anchors.jsonl:2: not an anchor"):
        read_anchors(anchors)


def test_the_cli_cannot_check_against_a_malformed_anchor(
    chained: tuple[str, int, str], tmp_path: Path
) -> None:
    url, position, hashed = chained
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(line(position, hashed) + "\n")
    assert audit_verify(url, tmp_path, anchors).returncode == 0

    for case in ("negative", "fraction", "infinite", "short hash"):
        anchors.write_text(MALFORMED[case](position, hashed) + "\n")
        found = audit_verify(url, tmp_path, anchors)
        assert found.returncode == 2, (case, found.stdout, found.stderr)
        assert "anchors.jsonl:1: not an anchor" in found.stderr, case
        assert "Traceback" not in found.stderr, case
        assert "BROKEN" not in found.stdout, case


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_an_anchors_file_with_no_anchor_cannot_check(
    chained: tuple[str, int, str], tmp_path: Path, text: str
) -> None:
    """Named and empty (a wrong path made by touch, a file emptied where it was shipped):
    it said intact, exit 0, having held the store to nothing."""
    url, _, _ = chained
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(text)

    found = audit_verify(url, tmp_path, anchors)

    assert found.returncode == 2, (found.stdout, found.stderr)
    assert "anchors.jsonl holds no anchor" in found.stderr
    assert found.stdout == ""


def test_a_torn_last_anchor_is_named_and_the_whole_lines_are_checked(
    chained: tuple[str, int, str], tmp_path: Path
) -> None:
    """A write cut off mid-line (power lost, the disk full) left a last line without its end:
    the file could not be read at all (exit 2) until that line was mended by hand."""
    url, position, hashed = chained
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(line(position, hashed) + "\n" + line(position, hashed)[:40])

    found = audit_verify(url, tmp_path, anchors)

    assert found.returncode == 0, (found.stdout, found.stderr)
    assert "anchors matched: 1" in found.stdout
    assert "anchors.jsonl:2: a torn last line (cut off as it was written), ignored" in (
        found.stderr
    )

    anchors.write_text(line(position, "cd" * 32) + "\n" + line(position, hashed)[:40])
    assert audit_verify(url, tmp_path, anchors).returncode == 1  # the whole line still counts
