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


def current(target: Path, text: str) -> bool:
    """Whether ``target`` is a file holding ``text``. Only a regular file is read: reading
    /dev/stdout waited for ever on a pipe, /dev/zero filled the memory."""
    return target.is_file() and target.read_text(encoding="utf-8", errors="replace") == text
