"""``audit export --out /dev/stdout`` (a device, or a named pipe) interrupted while its
reader takes the record says the output is incomplete, as the export to stdout does: it
said "interrupted; nothing was written", with the reader holding part of a record."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

from carecoord.services.runtime import audit_export


class Interrupted(io.StringIO):
    """A spooled export whose copy out is interrupted (Ctrl-C) after its first piece."""

    def __init__(self) -> None:
        super().__init__('{"event": 1}\n' * 10_000)
        self.pieces = 0

    def read(self, size: int | None = -1) -> str:
        self.pieces += 1
        if self.pieces > 1:
            raise KeyboardInterrupt
        return super().read(size)


def test_an_export_interrupted_while_copied_to_a_pipe_says_its_output_is_incomplete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    read: list[bytes] = []
    fifo = tmp_path / "export.fifo"
    os.mkfifo(fifo)
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()))
    reader.start()

    try:
        status = audit_export._copied(Interrupted(), fifo)
    except KeyboardInterrupt:  # to the command line's "interrupted; nothing was written"
        status = -1

    reader.join(10)
    assert status == audit_export.NOT_EXPORTED == 2
    said = capsys.readouterr().err
    assert said == "carecoord audit export: interrupted while writing; the output is incomplete\n"
    assert read[0].startswith(b'{"event": 1}\n')  # its reader had part of it
