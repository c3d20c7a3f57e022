"""A read model's tables are numbered generations behind its view (``<name>_g<N>``): a
rebuild fills the next generation while the live one serves, then the view switches."""

from __future__ import annotations

from collections.abc import Callable

from psycopg import sql


def generation_table(name: str) -> Callable[[int], sql.Identifier]:
    """The ``table(generation)`` of read model ``name``."""

    def table(generation: int) -> sql.Identifier:
        return sql.Identifier(f"{name}_g{generation}")

    return table
