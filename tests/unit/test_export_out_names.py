"""An ``--out`` name near or past the longest a folder takes: one past it is refused saying
so, exit 2 (asked whether it was a folder, it raised: a traceback, exit 1), and one within
it is written, its partial file named for it cut short (the name was too long, refused)."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest

from carecoord.services.runtime import audit_cli
from carecoord.services.runtime.cli import arguments
from carecoord.services.runtime.output_files import shown, write_whole


def test_an_out_name_longer_than_a_folder_takes_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / ("x" * 300)
    args = arguments().parse_args(
        ["audit", "export", "--client", str(uuid4()), "--as", "aud-7", "--out", str(out)]
    )

    status = audit_cli.run(args, "postgresql://nobody@127.0.0.1:1/none")  # never reached

    assert status == 2
    assert (
        capsys.readouterr().err
        == f"carecoord audit export: cannot write {shown(out)}: file name too long\n"
    )


def test_a_name_near_the_longest_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / ("x" + "é" * 100 + "x" * 43 + ".jsonl")  # 250 bytes, cut in an é

    write_whole(target, "{}\n")

    assert target.read_text() == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
