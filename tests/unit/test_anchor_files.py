"""An anchors file ``audit verify --anchors`` cannot read is refused naming the file and the
line, exit 2, without reading more than an anchor's length of any line: ``/dev/zero`` (or a
file of one vast line) was read whole into memory for ever, a line not UTF-8 was the codec's
message naming neither file nor line, and a file that is not there was "[Errno 2] ...".
One the relay cannot append to stops the command that runs it at start, naming the setting,
exit 2: its anchoring retried for ever."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_run import run_cli, said

from carecoord.services.infrastructure.chain_anchors import (
    LINE_MOST,
    Anchor,
    append_anchor,
    check_anchor_file,
    last_anchor,
    read_anchors,
)
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime import audit_cli
from carecoord.services.runtime.cli import arguments

ANCHOR = json.dumps(
    {"chain": "event-sha256-v1", "position": 7, "hash": "ab" * 32, "at": "2026-12-03T09:00Z"}
)


def test_a_line_longer_than_any_anchor_is_refused_unread() -> None:
    with pytest.raises(ValueError, match=f"/dev/zero:1: not an anchor \\(over {LINE_MOST:,}"):
        read_anchors(Path("/dev/zero"))  # endless, with no line end


def test_a_line_not_utf8_is_refused_with_its_number(tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_bytes(f"{ANCHOR}\n".encode() + b"\xff\xfe\n")

    with pytest.raises(ValueError, match=r"anchors.jsonl:2: not an anchor \(not UTF-8 text\)"):
        read_anchors(anchors)


def test_anchors_as_the_relay_writes_them_are_read(tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(f"{ANCHOR}\n\n{ANCHOR}\n", encoding="utf-8")

    assert [a.position for a in read_anchors(anchors)] == [7, 7]


@pytest.mark.parametrize("given", ["missing.jsonl", "."], ids=["missing", "a folder"])
def test_the_command_names_an_anchors_file_it_cannot_open(tmp_path: Path, given: str) -> None:
    unread = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    done = run_cli(tmp_path, unread, "audit", "verify", "--anchors", given)

    assert done.returncode == 2, done.stderr
    why = "No such file or directory" if given != "." else "Is a directory"
    if given != ".":  # not there yet, right after a first start
        why += "; the relay (of `up`, or `carecoord relay`) writes its first anchor a minute"
        why += " after it starts with events stored: before it, there is none to check against"
    assert done.stderr == f"carecoord audit verify: --anchors {given}: {why}\n"


def test_the_last_anchor_of_a_file_with_no_end_is_none() -> None:
    """The relay reads the anchors file's last line at start: a CARECOORD_CHAIN_ANCHOR_FILE
    of /dev/zero was read until the memory ran out."""
    assert last_anchor(Path("/dev/zero")) is None


def test_the_last_anchor_is_the_files_last_line(tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    later = ANCHOR.replace('"position": 7', '"position": 9')
    anchors.write_text(f"{ANCHOR}\n" * 100 + f"{later}\n", encoding="utf-8")

    found = last_anchor(anchors)

    assert found is not None
    assert found.position == 9


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("folder", "is a directory"),
        ("file/anchors.jsonl", "{tmp}/file is not a directory"),
        ("/proc/anchors.jsonl", "no such file or directory"),
        ("fifo", "no such device or address"),  # no reader: the relay's open waited for ever
    ],
    ids=["a folder", "under a file", "nowhere a file is made", "a pipe no one reads"],
)
def test_an_anchors_file_the_relay_cannot_append_to_stops_it_at_start(
    tmp_path: Path, given: str, why: str
) -> None:
    """Its anchoring retried for ever, logging the error's class alone."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("", encoding="utf-8")
    os.mkfifo(tmp_path / "fifo")
    anchors = tmp_path / given
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path / "data"),
           "CARECOORD_CHAIN_ANCHOR_FILE": str(anchors),
           "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",  # not reached
           "NATS_URL": "nats://127.0.0.1:1"}  # fmt: skip

    for command in ("relay", "up"):
        done = run_cli(tmp_path, env, command)

        assert done.returncode == 2, done.stderr
        assert said(done) == [
            f"carecoord: CARECOORD_CHAIN_ANCHOR_FILE: cannot append to {anchors}"
            f" ({why.format(tmp=tmp_path)}); set it to a file in a directory the relay can write"
            " (unset: event-chain-anchors.jsonl in the data directory)"
        ]


def test_the_default_anchors_file_unusable_is_the_data_directorys(tmp_path: Path) -> None:
    (tmp_path / "event-chain-anchors.jsonl").mkdir()
    env = {**os.environ, "CARECOORD_DATA_DIR": str(tmp_path),
           "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "NATS_URL": "nats://127.0.0.1:1"}  # fmt: skip
    env.pop("CARECOORD_CHAIN_ANCHOR_FILE", None)

    done = run_cli(tmp_path, env, "relay")

    assert done.returncode == 2, done.stderr
    assert f"CARECOORD_DATA_DIR: cannot use {tmp_path}/event-chain-anchors.jsonl" in done.stderr


def test_an_anchors_file_under_a_missing_folder_is_not_made_before_its_first_anchor(
    tmp_path: Path,
) -> None:
    anchors = tmp_path / "new" / "anchors.jsonl"

    check_anchor_file(Settings(data_dir=tmp_path, chain_anchor_file=anchors))

    assert anchors.parent.is_dir()  # as the relay makes it
    assert not anchors.exists()  # audit verify --anchors says: not there yet


@pytest.mark.parametrize(
    "torn",
    [ANCHOR[:40], "\x00" * 90, ANCHOR[:20].encode("utf-8") + b"\xe2\x82"],
    ids=["cut off", "zeros", "cut inside a letter"],
)
def test_a_torn_last_line_is_named_and_the_whole_lines_read(
    tmp_path: Path, torn: str | bytes
) -> None:
    """A write cut off mid-line (power lost, the disk full) made the whole file unreadable."""
    anchors = tmp_path / "anchors.jsonl"
    tail = torn if isinstance(torn, bytes) else torn.encode("utf-8")
    anchors.write_bytes(f"{ANCHOR}\n{ANCHOR}\n".encode() + tail)
    warned: list[str] = []

    assert [a.position for a in read_anchors(anchors, warn=warned.append)] == [7, 7]
    assert warned == [f"{anchors}:3: a torn last line (cut off as it was written), ignored"]


def test_a_malformed_line_before_the_last_is_refused_still(tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(f"{ANCHOR[:40]}\n{ANCHOR}", encoding="utf-8")

    with pytest.raises(ValueError, match=r"anchors.jsonl:1: not an anchor"):
        read_anchors(anchors, warn=pytest.fail)


def test_a_last_line_whole_but_for_its_end_is_an_anchor(tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(f"{ANCHOR}\n{ANCHOR}", encoding="utf-8")

    assert [a.position for a in read_anchors(anchors, warn=pytest.fail)] == [7, 7]


@pytest.mark.parametrize("torn", [ANCHOR[:40], ANCHOR], ids=["cut off", "whole but its end"])
def test_an_anchor_appended_after_a_torn_line_starts_a_line_of_its_own(
    tmp_path: Path, torn: str
) -> None:
    """Appended to the torn piece, the next anchor made one malformed line in the middle of
    the file, which no later verification could read past; a piece that is no anchor is cut
    away, one that is an anchor but for its end is ended."""
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(f"{ANCHOR}\n{torn}", encoding="utf-8")

    append_anchor(anchors, Anchor(9, bytes(32), "2026-12-03T09:01:00+00:00"))

    kept = [7, 7, 9] if torn == ANCHOR else [7, 9]
    assert [a.position for a in read_anchors(anchors, warn=pytest.fail)] == kept
    assert anchors.read_bytes().endswith(b"\n")
    last = last_anchor(anchors)
    assert last is not None
    assert last.position == 9


def test_the_last_anchor_is_the_last_whole_line(tmp_path: Path) -> None:
    """The relay read a torn last line as no anchor at all at start."""
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(f"{ANCHOR}\n{ANCHOR[:40]}", encoding="utf-8")

    found = last_anchor(anchors)

    assert found is not None
    assert found.position == 7


@pytest.mark.parametrize("given", [0, -1, 1.5, "1", True])
def test_an_access_log_start_that_is_no_entry_is_refused(tmp_path: Path, given: object) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(json.dumps(json.loads(ANCHOR) | {"accessLogFrom": given}) + "\n")

    with pytest.raises(ValueError, match=r"anchors.jsonl:1: not an anchor \(accessLogFrom"):
        read_anchors(anchors)


@pytest.mark.parametrize(
    "given",
    [
        0,
        {"seq": 0, "hash": "ab" * 32},
        {"seq": True, "hash": "ab" * 32},
        {"seq": 3.5, "hash": "ab" * 32},
        {"seq": 3, "hash": "ab" * 31},
        {"seq": 3, "hash": 5},
        {"seq": 3},
    ],
)
def test_an_access_log_head_that_is_no_entry_is_refused(tmp_path: Path, given: object) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(json.dumps(json.loads(ANCHOR) | {"accessLogHead": given}) + "\n")

    with pytest.raises(ValueError, match=r"anchors.jsonl:1: not an anchor"):
        read_anchors(anchors)


def test_the_access_log_head_is_read_as_written_and_older_lines_without_it(
    tmp_path: Path,
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(ANCHOR + "\n")
    headed = Anchor(8, b"\xcd" * 32, "2026-12-06T08:00Z", access_log_head=(40, b"\xef" * 32))
    append_anchor(anchors, headed)

    older, newer = read_anchors(anchors)

    assert older.access_log_head is None
    assert newer == headed
    assert json.loads(anchors.read_text().splitlines()[1])["accessLogHead"] == {
        "seq": 40,
        "hash": "ef" * 32,
    }


@pytest.mark.parametrize(
    "at",
    [
        1796630400,
        "9" * 3000,
        "\x00",
        "\x1b[2Jyesterday",
        "2026-12-03 09:00 UTC",
        "2026-12-03T09:00",
    ],
    ids=["a number", "huge", "NUL", "escapes", "not ISO", "no offset"],
)
def test_an_anchor_whose_time_is_no_time_is_refused_naming_the_line_and_field(
    tmp_path: Path, at: object
) -> None:
    """``at`` was taken as it came (a number, NUL, 3,000 digits, a terminal's escapes) and
    quoted so in the verdicts that name an anchor."""
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(f"{ANCHOR}\n{json.dumps(json.loads(ANCHOR) | {'at': at})}\n")

    with pytest.raises(ValueError, match=r"^\S+:2: not an anchor \(at ") as refused:
        read_anchors(anchors)

    said = str(refused.value)
    assert said.startswith(f"{anchors}:2: not an anchor (at ")
    assert said.endswith("is not an ISO 8601 time with its UTC offset, as the relay writes it:"
                         " 2026-11-27T09:00:00+00:00)")  # fmt: skip
    assert said.isprintable()
    assert len(said) < len(str(anchors)) + 200


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("[" * 3000, "JSON nested too deep"),
        ('{"chain": "event-sha256-v1"}', "no position, hash, at"),
    ],
    ids=["nested", "fields missing"],
)
def test_a_line_that_is_no_anchor_object_says_why(tmp_path: Path, line: str, why: str) -> None:
    """JSON nested the length of a line ran the decoder's stack out (a traceback), and a
    field left out was named as Python quotes a missing key: ('position')."""
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(f"{line}\n")

    with pytest.raises(ValueError, match=f"^{anchors}:1: not an anchor \\({why}\\)$"):
        read_anchors(anchors)


def test_the_command_refuses_an_anchor_time_that_is_no_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(json.dumps(json.loads(ANCHOR) | {"at": 5}) + "\n")
    args = arguments().parse_args(["audit", "verify", "--anchors", str(anchors)])

    status = audit_cli.run(args, "postgresql://nobody@127.0.0.1:1/none")  # never reached

    assert status == audit_cli.CANNOT_CHECK == 2
    assert capsys.readouterr().err == (
        f"carecoord audit verify: {anchors}:1: not an anchor (at 5 is not an ISO 8601 time"
        " with its UTC offset, as the relay writes it: 2026-11-27T09:00:00+00:00)\n"
    )


def test_anchors_given_as_dash_are_read_from_standard_input(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--anchors -`` was looked for as a file named -, said not to be there yet."""
    args = arguments().parse_args(["audit", "verify", "--anchors", "-"])
    read, written = os.pipe()
    os.write(written, b"[5]\n")
    os.close(written)
    standard_input = os.dup(0)
    os.dup2(read, 0)
    try:
        status = audit_cli.run(args, "postgresql://nobody@127.0.0.1:1/none")  # never reached
    finally:
        os.dup2(standard_input, 0)
        os.close(standard_input)
        os.close(read)

    assert status == 2
    assert capsys.readouterr().err == (
        "carecoord audit verify: /dev/stdin:1: not an anchor ([5] is not a JSON object)\n"
    )
