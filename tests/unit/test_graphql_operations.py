"""Every example operation beside the schema parses and validates against it, so none rots."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecoord.events import Role
from carecoord.graphql.export import OPERATIONS_DIR
from carecoord.graphql.schema import build_schema
from graphql import OperationDefinitionNode, parse, validate

EXAMPLES = sorted(OPERATIONS_DIR.glob("*/*.graphql"))
SCHEMA = build_schema()._schema


def test_every_role_that_reads_or_writes_has_examples() -> None:
    roles = {path.parent.name for path in EXAMPLES}
    assert roles == {r.value for r in Role if r is not Role.SYSTEM}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_example_is_one_named_valid_operation(path: Path) -> None:
    document = parse(path.read_text(encoding="utf-8"))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1, "one operation per file"
    assert operations[0].name is not None, "operations are named (clients generate types by name)"
    errors = validate(SCHEMA, document)
    assert not errors, [e.message for e in errors]
