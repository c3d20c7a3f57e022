"""The access log's entry numbers and the event store's positions as the API reads and
answers them: JSON integers, which GraphQL's ``Int`` (32 bits) is not past 2,147,483,647.

The log is numbered by a bigint and an entry is written for every read (a listing's, one for
each client in it), so a busy platform's log passes that number within years. From there on
every seq was refused: ``accessLogHead``, ``verifyAccessLog``'s ``headSeq``, an entry's
``seq``, and ``after`` and ``through`` could not name the entries past it, so an auditor could
neither page nor verify the log through the API. The store's positions are a bigint too,
one for every event ever recorded: past that number every mutation's answer (``position``),
every ``atLeast`` and every entry's position failed, so nothing could be recorded or read.
"""

from __future__ import annotations

from typing import NewType

from strawberry.types.scalar import ScalarDefinition

from carecoord.graphql.quotes import shown

Seq = NewType("Seq", int)
"""An access-log entry's number (``seq``), a count of entries, or an event's position in the
store."""

START = Seq(0)
"""Before the first entry: where a first pass of the log starts."""

LARGEST = 2**63 - 1
"""The greatest number a bigint, the log's numbering, holds."""


def parse(value: object) -> int:
    """An integer a bigint holds; a negative one is the argument's own rule to refuse
    (``position-not-negative``), named by its field. A refused value is quoted as it was
    sent (``1e300``, not its 301 digits), and only when short."""
    fraction = isinstance(value, float) and not value.is_integer()  # 5.0 is 5; 5.5 is none
    if isinstance(value, bool) or not isinstance(value, int | float) or fraction:
        raise ValueError(f"Seq cannot represent {shown(value)}: write an integer")
    number = int(value)
    if abs(number) > LARGEST:
        raise ValueError(f"Seq cannot represent {shown(value)}: at most {LARGEST}")
    return number


SEQ = ScalarDefinition(
    name="Seq",
    description="An access-log entry's number, a count of entries, or an event's position in"
    " the store: a JSON integer, up to 2^63-1 (both are numbered past GraphQL's 32-bit Int).",
    specified_by_url=None,
    serialize=int,
    parse_value=parse,
    parse_literal=None,
    origin=Seq,
)
