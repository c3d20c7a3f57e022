"""Where disclosures to an outside recipient are published follows the subject root: the
default root's are where they always were (``disclosed.<recipient>.>``, the subjects
deploy/nats.conf lets ``clinic_north`` read), another root's are its own, so two platforms
on one NATS server never publish to one subject for recipients of the same id
(tests/integration/test_disclosure_subject_roots.py sends them over a real server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecoord.services.infrastructure.settings import Settings


def test_the_default_roots_disclosures_keep_their_subjects(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("CARECOORD_SUBJECT_ROOT", raising=False)
    default = Settings()
    assert (default.subject_root, default.disclosure_root) == ("care", "disclosed")


@pytest.mark.parametrize(
    ("root", "disclosed"),
    [("north", "disclosed-north"), ("prod.care", "disclosed-prod.care"), ("t1", "disclosed-t1")],
)
def test_another_roots_disclosures_are_its_own(root: str, disclosed: str) -> None:
    assert Settings(subject_root=root).disclosure_root == disclosed


def test_no_two_roots_disclose_under_one_prefix() -> None:
    """A recipient id is one subject token, so one prefix per root keeps every recipient's
    subjects apart: neither a root's prefix nor one of its tokens is another root's."""
    roots = ["care", "north", "south", "prod.care", "prod.east", "care-2"]
    prefixes = [Settings(subject_root=r).disclosure_root for r in roots]
    assert len(set(prefixes)) == len(roots)
    assert all(p.split(".")[0] != "disclosed" for p in prefixes[1:])
