"""The checked-in SDL is the schema the code builds, and the command that rewrites it works."""

from __future__ import annotations

import difflib
from pathlib import Path

from carecoord.graphql.export import REGENERATE, SCHEMA_FILE, sdl
from carecoord.services.runtime.cli import export_schema


def test_the_checked_in_sdl_is_the_schema_the_code_builds() -> None:
    assert SCHEMA_FILE.exists(), f"graphql/schema.graphql is missing; create it with: {REGENERATE}"
    built = sdl()
    stored = SCHEMA_FILE.read_text(encoding="utf-8")
    changed = list(
        difflib.unified_diff(stored.splitlines(), built.splitlines(), "file", "code", lineterm="")
    )
    assert not changed, (
        f"graphql/schema.graphql differs from the schema in code; regenerate it with: "
        f"{REGENERATE}\n" + "\n".join(changed[:60])
    )


def test_the_schema_command_writes_then_checks_the_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    assert export_schema(target, check=True) == 1
    assert export_schema(target, check=False) == 0
    assert target.read_text(encoding="utf-8") == sdl()
    assert export_schema(target, check=True) == 0
    target.write_text(sdl().replace("type Query", "type Querry"), encoding="utf-8")
    assert export_schema(target, check=True) == 1
