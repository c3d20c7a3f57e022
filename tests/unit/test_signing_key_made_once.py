"""The development signing key is made once, by one process, readable by its owner alone:
two commands started together in a fresh data directory each wrote a key over the other's
(the tokens the first signed then refused), and the key was readable by anyone until its
chmod."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from carecoord.services.infrastructure.identity import signing_key
from carecoord.services.infrastructure.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("CARECOORD_JWT_SECRET", raising=False)
    return Settings(data_dir=tmp_path)


def test_a_key_another_process_made_meanwhile_is_kept(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = settings.data_dir / "jwt.key"
    theirs = "k" * 64
    looked = Path.exists

    def made_meanwhile(path: Path) -> bool:
        """The other process writes its key just after this one found none."""
        if path == key and not looked(path):
            path.write_text(theirs)
            return False
        return looked(path)

    monkeypatch.setattr(Path, "exists", made_meanwhile)

    assert signing_key(settings) == theirs
    assert key.read_text() == theirs


def test_a_new_key_is_its_owners_alone_and_nothing_is_left_beside_it(settings: Settings) -> None:
    was = os.umask(0o022)
    try:
        made = signing_key(settings)
    finally:
        os.umask(was)

    key = settings.data_dir / "jwt.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text() == made
    assert list(settings.data_dir.iterdir()) == [key]
