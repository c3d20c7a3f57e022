"""A break against an anchor names the event type of the row it found there, as a break in
the chain does: it read "(None)", as for a row whose topic was removed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from audit_cli import audit
from enrolled_store import enrolled_store

from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.runtime.bootstrap import Servers

HEAD = f"SELECT notification_id FROM {TABLE} ORDER BY 1 DESC LIMIT 1"


@pytest.fixture
def chained(servers: Servers, data_dir: Path) -> Iterator[tuple[str, int]]:
    with enrolled_store(servers, data_dir, 3) as url:
        with psycopg.connect(url) as conn:
            found = conn.execute(HEAD).fetchone()
        assert found is not None
        yield url, int(found[0])


def test_a_rewritten_anchor_names_the_event_type_found_there(
    chained: tuple[str, int], tmp_path: Path
) -> None:
    url, head = chained
    anchors = tmp_path / "anchors.jsonl"
    anchor = {
        "chain": "event-sha256-v1",
        "position": head,
        "hash": "ab" * 32,
        "at": "2026-12-03T09:00Z",
    }
    anchors.write_text(json.dumps(anchor) + "\n")

    text = audit(url, tmp_path, "verify", "--anchors", str(anchors))
    shown = audit(url, tmp_path, "verify", "--anchors", str(anchors), "--json")

    assert text.returncode == 1, text.stderr
    assert "rewritten" in text.stdout
    assert "(care.ClientEnrolled)" in text.stdout
    assert "(None)" not in text.stdout
    assert json.loads(shown.stdout)["broken"]["topic"] == "care.ClientEnrolled"
