"""The API holds no SQL: each read model's module owns the queries of its view, and resolvers
call them (docs/architecture.md, "Read models own their queries")."""

from __future__ import annotations

import re
from pathlib import Path

GRAPHQL = Path(__file__).resolve().parents[2] / "graphql"
SQL = re.compile(
    r"\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \S+ SET)\b"
    r"|\bfrom psycopg import\b.*\bsql\b|\bpsycopg\.sql\b|\bpsycopg\.rows\b|\bdict_row\b"
)


def sql_in(text: str) -> list[str]:
    lines = enumerate(text.splitlines(), 1)
    return [f"{n}: {line.strip()}" for n, line in lines if SQL.search(line)]


def test_no_module_of_the_api_holds_sql() -> None:
    found = {path.name: sql_in(path.read_text()) for path in sorted(GRAPHQL.glob("*.py"))}
    assert found, GRAPHQL
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_check_sees_what_it_looks_for() -> None:
    assert sql_in('rows = await ctx.rows("SELECT * FROM dosing", [])')
    assert sql_in("from psycopg import AsyncConnection, sql")
    assert sql_in("from psycopg.rows import dict_row")
    assert not sql_in('"""Select a client, then read their timeline."""')
    assert not sql_in("import psycopg  # its errors map to GraphQL errors")
