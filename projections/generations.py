"""A read model's tables are numbered generations behind its view (``<name>_g<N>``): a
rebuild fills the next generation while the live one serves, then the view switches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from carecoord.events.positioned import Positioned

SCRATCH = 1_000_000
"""A verification's scratch generations are numbered from here, far above any live one."""


def generation_table(name: str) -> Callable[[int], sql.Identifier]:
    """The ``table(generation)`` of read model ``name``."""

    def table(generation: int) -> sql.Identifier:
        return sql.Identifier(f"{name}_g{generation}")

    return table


def generation_ddl(
    name: str, columns: str, indexes: Mapping[str, str], unsampled: Sequence[str] = ()
) -> Callable[[int], list[sql.Composed]]:
    """The ``ddl(generation)`` of read model ``name``: its table of ``columns`` (what stands
    between ``CREATE TABLE``'s parentheses), then an index ``<name>_g<N>_<suffix>`` for each
    ``suffix: on`` (the indexed columns in parentheses, and a partial index's WHERE).

    ``unsampled``: columns no query compares, left without planner statistics: sampling a
    100,000-row timeline's texts and JSON took half of the ANALYZE that ends its rebuild."""
    table = generation_table(name)

    def ddl(generation: int) -> list[sql.Composed]:
        t = table(generation)
        indexed = [
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} {}").format(
                sql.Identifier(f"{name}_g{generation}_{suffix}"), t, sql.SQL(on)
            )
            for suffix, on in indexes.items()
        ]
        unsampling = [
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET STATISTICS 0").format(
                t, sql.Identifier(column)
            )
            for column in unsampled
        ]
        create = sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(t, sql.SQL(columns))
        return [create, *indexed, *unsampling]

    return ddl


def columns_added(
    name: str, ddl: Callable[[int], list[sql.Composed]], added: Mapping[str, str]
) -> Callable[[int], list[sql.Composed]]:
    """``ddl`` that gives a table an earlier release created each column of ``added``
    (``column: type and default``) it lacks, after ``CREATE TABLE`` and before the indexes,
    which may name it: an index on a missing column failed, and with it the projector's
    every start. Each is looked up first (ALTER TABLE locks the table the live projector
    writes); the rows keep the default until the rebuild the model's ``VERSION`` starts
    derives theirs."""
    table = generation_table(name)

    def upgraded(generation: int) -> list[sql.Composed]:
        create, *rest = ddl(generation)
        adding = [
            sql.SQL(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid ="
                " {}::regclass AND attname = {} AND NOT attisdropped) THEN ALTER TABLE {}"
                " ADD COLUMN {} {}; END IF; END $$"
            ).format(
                sql.Literal(f"{name}_g{generation}"),
                sql.Literal(column),
                table(generation),
                sql.Identifier(column),
                sql.SQL(declared),
            )
            for column, declared in added.items()
        ]
        return [create, *adding, *rest]

    return upgraded


@dataclass(frozen=True)
class Copied:
    """How a rebuild fills a read model whose rows each come from one event alone (a log,
    a ledger, the timeline): ``rows`` of a batch, in the order of ``columns``, streamed into
    the new generation with COPY, and the table indexed once it is full. Applying the
    batches as the live projector does cost an insert per row and kept every index up to
    date row by row."""

    columns: tuple[str, ...]
    rows: Callable[[Sequence[Positioned]], Iterable[tuple[Any, ...]]]
