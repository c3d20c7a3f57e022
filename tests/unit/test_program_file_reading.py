"""A CARECOORD_PROGRAM_FILE that no program file could be is refused in a line naming it,
having read no more than a program file's length: ``/dev/zero`` was read until the machine ran
out of memory (the process was killed, exit 137), a file not UTF-8 was the codec's message and
a folder was "[Errno 21] ..."."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecoord.services.runtime.program import LARGEST, ProgramFileError, load_program


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (Path("/dev/zero"), f"over {LARGEST:,} bytes"),  # endless
        (Path("/"), "Is a directory"),
        (Path("/no/such/program.toml"), "No such file or directory"),
    ],
)
def test_a_path_no_program_file_could_be_is_named(path: Path, reason: str) -> None:
    with pytest.raises(ProgramFileError) as refused:
        load_program(path)

    assert str(refused.value).startswith(f"program file {path}: {reason}")


def test_a_file_not_utf8_is_named(tmp_path: Path) -> None:
    program = tmp_path / "program.toml"
    program.write_bytes(b"[alerts]\nsource = '\xff'\n")

    with pytest.raises(ProgramFileError) as refused:
        load_program(program)

    assert str(refused.value) == f"program file {program}: not UTF-8 text"


def test_the_example_with_every_section_is_read() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "program.example.toml"

    assert load_program(example).alerts is not None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('risk = "QT \\u202e06"', "bidirectional control U+202E"),
        ('risk = "\\u200f10-20"', "bidirectional control U+200F"),
        ('risk = "x\\uffff"', "noncharacter U+FFFF"),
        ('risk = "bell\\u0007"', "control character U+0007"),
    ],
)
def test_text_the_platform_would_not_record_is_named_by_its_key(
    tmp_path: Path, text: str, reason: str
) -> None:
    program = tmp_path / "program.toml"
    program.write_text(f"[[medication.interaction_rules]]\n{text}\n")

    with pytest.raises(ProgramFileError) as refused:
        load_program(program)

    assert str(refused.value).startswith(
        f"program file {program}: [medication.interaction_rules.0.risk] holds the {reason}"
    )
