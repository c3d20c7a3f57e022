"""An ``--out`` (or ``schema --output``) that names a descriptor, ``/dev/stdout`` as the
shell opened it on a file (``>> all.jsonl``), is written into that file: it was taken for a
regular file and a new one renamed over it, so what the file held went, and the shell's
appends after it went to the file removed."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from carecoord.services.runtime import audit_export
from carecoord.services.runtime.output_files import in_place, write_whole


@pytest.fixture
def appended(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A file holding a line, opened to append as ``>>`` opens it, and the path of that
    descriptor."""
    kept = tmp_path / "all.jsonl"
    kept.write_text("kept\n")
    fd = os.open(kept, os.O_WRONLY | os.O_APPEND)
    try:
        yield kept, Path(f"/dev/fd/{fd}")
    finally:
        os.close(fd)


def test_an_export_to_a_descriptor_of_a_file_appends_to_it(appended: tuple[Path, Path]) -> None:
    kept, descriptor = appended
    inode = kept.stat().st_ino

    assert not in_place(descriptor)  # written into, not replaced
    assert audit_export._copied(io.StringIO('{"event": 1}\n'), descriptor) == 0

    assert kept.read_text() == 'kept\n{"event": 1}\n'
    assert kept.stat().st_ino == inode


def test_a_schema_written_to_a_descriptor_of_a_file_appends_to_it(
    appended: tuple[Path, Path],
) -> None:
    kept, descriptor = appended

    write_whole(Path(f"/proc/self/fd/{descriptor.name}"), "type Query\n")

    assert kept.read_text() == "kept\ntype Query\n"
