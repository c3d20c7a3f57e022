"""``CARECOORD_SUBJECT_ROOT`` may not begin with another subject space's first token: the
disclosures' (``disclosed``, ``disclosed-<root>``), the event chain's anchors' (``anchors``) or
NATS's own (``_INBOX``; a ``$`` never fits the pattern). The stream of such a root took in
those subjects: ``disclosed`` every disclosure of the default root, ``disclosed-north`` those
of the root ``north``, ``anchors`` every platform's anchors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from carecoord.services.infrastructure.chain_anchors import anchor_subject
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.cli import settings_or_exit

TAKEN = [
    ("disclosed", "disclosed.>"),
    ("disclosed.north", "disclosed.>"),
    ("disclosed-north", "disclosed-<root>.>"),
    ("disclosed-prod.care", "disclosed-<root>.>"),
    ("anchors", "anchors.<root>.event-chain"),
    ("anchors.care", "anchors.<root>.event-chain"),
    ("_INBOX", "_INBOX.>"),
]


@pytest.mark.parametrize(("root", "subjects"), TAKEN, ids=[r for r, _ in TAKEN])
def test_a_root_beginning_with_another_subject_space_is_refused_naming_it(
    root: str, subjects: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(subject_root=root)
    [error] = refused.value.errors()
    assert error["loc"] == ("subject_root",)
    assert f"may not begin with {root.partition('.')[0]}:" in error["msg"]
    assert subjects in error["msg"]


@pytest.mark.parametrize("root", ["$JS", "$SYS.care", "$KV"])
def test_a_system_subject_never_fits_the_pattern(root: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(subject_root=root)
    assert refused.value.errors()[0]["type"] == "string_pattern_mismatch"


@pytest.mark.parametrize(
    "root", ["care", "north.disclosed", "disclosedx", "care.anchors", "anchorsx", "_inbox"]
)
def test_a_root_that_only_holds_those_words_elsewhere_is_taken(root: str) -> None:
    settings = Settings(subject_root=root)
    assert not f"{settings.disclosure_root}.x".startswith(f"{root}.")
    assert not anchor_subject(settings).startswith(f"{root}.")


def test_the_command_line_names_the_variable_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARECOORD_SUBJECT_ROOT", "disclosed-north")
    with pytest.raises(SystemExit) as stopped:
        settings_or_exit()
    said = capsys.readouterr().err
    assert stopped.value.code == 2
    assert said.startswith("carecoord: CARECOORD_SUBJECT_ROOT: ")
    assert "disclosed-<root>.>" in said
