"""A read model's tables are numbered generations behind its view (``<name>_g<N>``): a
rebuild fills the next generation while the live one serves, then the view switches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from carecoord.events.positioned import Positioned


def generation_table(name: str) -> Callable[[int], sql.Identifier]:
    """The ``table(generation)`` of read model ``name``."""

    def table(generation: int) -> sql.Identifier:
        return sql.Identifier(f"{name}_g{generation}")

    return table


@dataclass(frozen=True)
class Copied:
    """How a rebuild fills a read model whose rows each come from one event alone (a log,
    a ledger, the timeline): ``rows`` of a batch, in the order of ``columns``, streamed into
    the new generation with COPY, and the table indexed once it is full. Applying the
    batches as the live projector does cost an insert per row and kept every index up to
    date row by row."""

    columns: tuple[str, ...]
    rows: Callable[[Sequence[Positioned]], Iterable[tuple[Any, ...]]]
