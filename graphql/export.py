"""The exported SDL: ``graphql/schema.graphql`` is what typed clients and reviewers read, so a
test holds it equal to the schema the code builds, and ``carecoord schema`` rewrites it."""

from __future__ import annotations

from pathlib import Path

from carecoord.graphql.schema import build_schema

# Beside this module in the source tree (the editable install links back to it).
SCHEMA_FILE = Path(__file__).resolve().with_name("schema.graphql")
OPERATIONS_DIR = Path(__file__).resolve().with_name("operations")
REGENERATE = "carecoord schema  (or: python -m carecoord.services.runtime.cli schema)"


def sdl() -> str:
    """The schema as SDL, ending in one newline (as the checked-in file does)."""
    return build_schema().as_str().rstrip("\n") + "\n"


def write(target: Path = SCHEMA_FILE) -> bool:
    """Write the SDL to ``target``; return whether the file changed."""
    text = sdl()
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    target.write_text(text, encoding="utf-8")
    return True
