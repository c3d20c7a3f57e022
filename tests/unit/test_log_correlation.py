"""Every log line written while a request, a command or a batch is handled carries its
correlation id: bound once (``services/infrastructure/correlation.py``), added by the JSON
formatter to whatever the line says."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
import strawberry
from every_event import ADMIN, Record

from carecoord.events.care import ClientEnrolled
from carecoord.graphql.operation_trace import OperationTrace
from carecoord.services.infrastructure import correlation
from carecoord.services.kernel.errors import InvalidInput
from carecoord.services.runtime.logs import JsonFormatter

log = logging.getLogger("carecoord.test")


class Lines(logging.Handler):
    """Lines as the platform writes them, formatted where they are logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def lines() -> Iterator[list[dict[str, Any]]]:
    handler, level = Lines(), log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def test_a_line_carries_what_is_bound_and_the_callers_extra_wins(
    lines: list[dict[str, Any]],
) -> None:
    log.info("outside")
    with correlation.bound(correlation_id="one"):
        log.info("inside")
        with correlation.bound(position=7):
            log.info("nested", extra={"correlation_id": "given"})
    log.info("after")

    assert [(line["msg"], line.get("correlation_id")) for line in lines] == [
        ("outside", None),
        ("inside", "one"),
        ("nested", "given"),
        ("after", None),
    ]
    assert lines[2]["position"] == 7


def test_a_batch_names_its_one_correlation_id_or_all_of_them() -> None:
    first, second = uuid4(), uuid4()

    def enrolled(correlation_id: UUID) -> ClientEnrolled:
        event = Record().add(ClientEnrolled, ADMIN, display_name="A", program="P")
        return event.model_copy(update={"correlation_id": correlation_id})

    assert correlation.of_events([]) == {}
    assert correlation.of_events([enrolled(first), enrolled(first)]) == {
        "correlation_id": str(first)
    }
    assert correlation.of_events([enrolled(first), enrolled(second), enrolled(first)]) == {
        "correlation_ids": [first, second]
    }


@dataclass
class Context:
    given: str | None

    def correlation_id(self) -> UUID:
        if self.given is None:
            raise InvalidInput("x-correlation-id", "uuid", "x-correlation-id must be a UUID")
        return UUID(self.given)


@strawberry.type
class Query:
    @strawberry.field
    async def answer(self) -> int:
        log.info("resolving")
        return 42


SCHEMA = strawberry.Schema(query=Query, extensions=[OperationTrace])


async def test_what_an_operation_logs_carries_its_requests_correlation_id(
    lines: list[dict[str, Any]],
) -> None:
    given = str(uuid4())

    named = await SCHEMA.execute("{ answer }", context_value=Context(given))
    malformed = await SCHEMA.execute("{ answer }", context_value=Context(None))
    log.info("between requests")

    assert named.data == malformed.data == {"answer": 42}
    assert [line.get("correlation_id") for line in lines] == [given, None, None]
