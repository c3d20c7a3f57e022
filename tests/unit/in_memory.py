"""Commands run as the command bus runs them, on aggregates kept in memory instead of a store:
each starts empty (a client with no history) and is kept between commands."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


class Memory:
    """Loads an empty aggregate for anything not yet touched."""

    def load(self, cls: type[A], client_id: UUID) -> A:
        return cls(client_id)


class InMemory:
    """The aggregates the commands have touched, with what each has recorded pending."""

    def __init__(self) -> None:
        self.touched: dict[UUID, Aggregate] = {}

    def run(self, command: Command[T]) -> T:
        return command(UnitOfWork(Memory(), self.touched))
