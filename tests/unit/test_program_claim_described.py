"""What a token's ``program`` claim scopes is said where it is given and asked for: the
token command's help, ``accessAsOf``'s ``program`` and ``breakGlass`` name the auditors'
scope and the break-glass refusal, where they spoke of admins alone."""

from __future__ import annotations

import pytest

from carecoord.graphql.export import sdl
from carecoord.services.runtime.cli import main
from graphql import build_schema


def test_the_token_command_says_whom_its_program_scopes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["token", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "auditor's scope" in text
    assert "break the glass" in text


def test_the_schema_names_the_program_refusals() -> None:
    schema = build_schema(sdl())
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    as_of = schema.query_type.fields["accessAsOf"].args["program"].description or ""
    assert "auditor-program" in as_of
    assert "break-glass-program" in (schema.mutation_type.fields["breakGlass"].description or "")
