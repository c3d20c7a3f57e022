"""Objects of plain fields completed in one walk (graphql/plain_fields.py) answer exactly as
graphql-core's own completion does: the same data, and the same errors at the same paths
when a value does not fit its type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
import strawberry
from strawberry.extensions import ParserCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from carecoord.graphql.plain_fields import (
    PlainCompletion,
    Unchanging,
    read_plain_fields_directly,
)
from carecoord.graphql.schema import build_schema

WHEN = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


@strawberry.type
class Author:
    id: str
    role: str


@strawberry.type
class Entry:
    position: int
    event_id: UUID
    summary: str
    occurred_at: datetime
    urgent: bool
    score: float
    note: str | None
    by: Author
    tags: list[str]
    helper: Author | None

    @strawberry.field
    def loud(self) -> str:
        return self.summary.upper()


@strawberry.type
class Page:
    entries: list[Entry]
    newest: Entry | None
    count: int


def entry(n: int, **changed: Any) -> Entry:
    values: dict[str, Any] = {
        "position": n,
        "event_id": UUID(int=n),
        "summary": f"dose {n} é",
        "occurred_at": WHEN,
        "urgent": n % 2 == 0,
        "score": n / 3,
        "note": None if n % 3 else f"note {n}",
        "by": Author(id=f"nurse-{n}", role="nurse"),
        "tags": ["a", f"t{n}"],
        "helper": None,
    }
    values.update(changed)
    return Entry(**values)


@dataclass
class Source:
    page: Page


@strawberry.type
class Query:
    @strawberry.field
    async def page(self, info: strawberry.Info) -> Page:
        source: Source = info.context["source"]
        return source.page


def schema(plain: bool) -> strawberry.Schema:
    built = strawberry.Schema(
        query=Query,
        execution_context_class=PlainCompletion if plain else StrawberryGraphQLCoreExecutionContext,
    )
    read_plain_fields_directly(built)
    return built


PLAIN, GENERAL = schema(plain=True), schema(plain=False)

ALL = """{ page { count entries { position eventId summary occurredAt urgent score note
  by { id role } tags helper { id } } newest { position } } }"""

QUERIES = [
    ALL,
    "{ page { entries { __typename first: position second: position by { __typename id } } } }",
    "{ page { entries { ... on Entry { summary } ...F } } } fragment F on Entry { position }",
    "{ page { entries { position loud by { id } } } }",
    "{ page { entries { position by @include(if: false) { id } } } }",
    "{ page { entries @skip(if: true) { position } count } }",
]


async def run(built: strawberry.Schema, query: str, page: Page) -> dict[str, Any]:
    result = await built.execute(query, context_value={"source": Source(page)})
    errors = [(e.message, e.path) for e in result.errors or ()]
    return {"data": result.data, "errors": errors}


async def same(query: str, page: Page) -> dict[str, Any]:
    plain, general = await run(PLAIN, query, page), await run(GENERAL, query, page)
    assert plain == general
    return plain


@pytest.mark.parametrize("query", QUERIES)
async def test_the_same_data_as_graphql_core(query: str) -> None:
    page = Page(entries=[entry(n) for n in range(1, 6)], newest=entry(9), count=5)
    answer = await same(query, page)
    assert answer["data"] is not None
    assert not answer["errors"]


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ({"summary": None}, "summary"),  # null where the schema says non-null
        ({"position": 2**40}, "position"),  # an Int past 32 bits
        ({"position": "seven"}, "position"),  # a value the scalar refuses
        ({"occurred_at": "not a time"}, "occurredAt"),
        ({"tags": None}, "tags"),
        ({"tags": ["a", None]}, "tags"),
        ({"by": None}, "by"),
        ({"score": float("nan")}, "score"),
        ({"summary": ValueError("kept as an error")}, "summary"),
        ({"by": ValueError("an object's error")}, "by"),  # after an Author was judged plain
    ],
)
async def test_the_same_errors_as_graphql_core(changed: dict[str, Any], field: str) -> None:
    page = Page(entries=[entry(1), entry(2, **changed), entry(3)], newest=None, count=3)
    answer = await same(ALL, page)
    assert answer["errors"], "the bad value is reported"
    assert field in answer["errors"][0][1]


async def test_values_graphql_core_converts_come_out_converted() -> None:
    page = Page(
        entries=[entry(1, position=True, summary=7, note=2.5, score=4)], newest=None, count=1
    )
    answer = await same(ALL, page)
    first = answer["data"]["page"]["entries"][0]
    assert (first["position"], first["summary"], first["note"], first["score"]) == (
        1,
        "7",
        "2.5",
        4.0,
    )


async def test_an_awaitable_value_is_awaited_as_graphql_core_does() -> None:
    async def later() -> str:
        return "awaited"

    page = Page(entries=[entry(1, summary=later())], newest=None, count=1)
    answer = await run(PLAIN, "{ page { entries { summary } } }", page)
    assert answer == {"data": {"page": {"entries": [{"summary": "awaited"}]}}, "errors": []}


async def test_an_awaitable_object_after_plain_ones_of_its_field_is_awaited() -> None:
    async def later() -> Author:
        return Author(id="nurse-late", role="nurse")

    page = Page(entries=[entry(1), entry(2, by=later()), entry(3)], newest=None, count=3)
    answer = await run(PLAIN, "{ page { entries { by { id } } } }", page)
    ids = [e["by"]["id"] for e in answer["data"]["page"]["entries"]]
    assert (ids, answer["errors"]) == (["nurse-1", "nurse-late", "nurse-3"], [])


def test_the_api_schema_completes_plainly_in_development_and_production() -> None:
    for production in (False, True):
        built = build_schema(production=production)
        assert issubclass(built.execution_context_class, PlainCompletion)


async def test_a_page_of_plain_fields_runs_no_field_through_graphql_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executed: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.execute_field

    def counted(self: Any, parent_type: Any, *args: Any, **kwargs: Any) -> Any:
        executed.append(parent_type.name)
        return original(self, parent_type, *args, **kwargs)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)
    page = Page(entries=[entry(n) for n in range(1, 6)], newest=entry(9), count=5)
    await run(PLAIN, ALL, page)
    assert executed == ["Query"]  # the resolver's field; its page completed in one walk
    executed.clear()
    await run(GENERAL, ALL, page)
    assert len(executed) > 50


CACHED = strawberry.Schema(
    query=Query,
    execution_context_class=PlainCompletion,
    extensions=[lambda: ParserCache(maxsize=16)],
)
read_plain_fields_directly(CACHED)


async def test_the_plans_of_a_document_sent_again_are_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planned: list[str] = []
    original = PlainCompletion._plan_fields

    def counted(self: PlainCompletion, object_type: Any, details: Any) -> Any:
        planned.append(object_type.name)
        return original(self, object_type, details)

    monkeypatch.setattr(PlainCompletion, "_plan_fields", counted)
    page = Page(entries=[entry(n) for n in range(1, 4)], newest=entry(9), count=3)
    first = await run(CACHED, ALL, page)
    once = len(planned)
    assert once >= 3  # Page, Entry (twice: entries and newest), Author
    page.entries.append(entry(4))
    again = await run(CACHED, ALL, page)
    assert len(planned) == once, "planned once for the document"
    assert again["data"]["page"]["entries"][:3] == first["data"]["page"]["entries"]
    assert again == await run(GENERAL, ALL, page)


@pytest.mark.parametrize("shown", [True, False])
async def test_a_document_whose_variables_change_its_selection_is_planned_each_time(
    shown: bool,
) -> None:
    query = """query($shown: Boolean!) { page { entries { position
      ... on Entry @include(if: $shown) { summary by { id } } } } }"""
    page = Page(entries=[entry(1), entry(2)], newest=None, count=2)
    for value in (shown, not shown, shown):
        result = await CACHED.execute(
            query, {"shown": value}, context_value={"source": Source(page)}
        )
        general = await GENERAL.execute(
            query, {"shown": value}, context_value={"source": Source(page)}
        )
        assert result.data == general.data
        assert ("summary" in result.data["page"]["entries"][0]) is value  # type: ignore[index]


@strawberry.type
class Kept(Unchanging):
    position: int
    by: Author


KEPT = [Kept(position=n, by=Author(id=f"nurse-{n}", role="nurse")) for n in range(3)]


@strawberry.type
class KeptQuery:
    @strawberry.field
    def kept(self) -> list[Kept]:
        return KEPT

    @strawberry.field
    def fresh(self) -> list[Entry]:
        return [entry(n) for n in range(3)]


async def test_an_unchanging_object_is_completed_once_per_selection_kept() -> None:
    built = strawberry.Schema(
        query=KeptQuery,
        execution_context_class=PlainCompletion,
        extensions=[lambda: ParserCache(maxsize=16)],
    )
    read_plain_fields_directly(built)
    query = "{ kept { position by { id } } fresh { position } }"
    first, again = (await built.execute(query)).data, (await built.execute(query)).data
    assert first is not None
    assert again is not None
    assert first == again
    assert again["kept"][0] is first["kept"][0], "the answer kept with the object"
    assert again["fresh"][0] is not first["fresh"][0], "other objects are completed anew"
    other = (await built.execute("{ kept { position } }")).data
    assert other == {"kept": [{"position": n} for n in range(3)]}, "another selection, anew"
