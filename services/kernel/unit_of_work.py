"""What one command sees: the aggregates it asks for, each loaded once per batch, and the
events it recorded. The command bus (services/infrastructure/commands.py) runs commands
against it; the domain knows only this."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar
from uuid import UUID

from carecoord.services.kernel.aggregate import Aggregate, Recorded, aggregate_id
from carecoord.services.kernel.errors import RuleViolation

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


class Loads(Protocol):
    """Where aggregates come from (the event store)."""

    def load(self, cls: type[A], client_id: UUID) -> A: ...


class UnitOfWork:
    """What one command sees: the aggregates of its batch, loaded once."""

    def __init__(self, store: Loads, touched: dict[UUID, Aggregate]) -> None:
        self._store = store
        self._touched = touched
        self._before: dict[UUID, int] = {}
        self.nothing_checked = False
        """Whether recording nothing is a decision the bus checks (``check_nothing``)."""

    def get(self, cls: type[A], client_id: UUID) -> A:
        aid = aggregate_id(cls.context, client_id)
        aggregate = self._touched.get(aid)
        if aggregate is None:
            aggregate = self._store.load(cls, client_id)
            self._touched[aid] = aggregate
        elif not isinstance(aggregate, cls):
            # Records of one context share ids: a client enrolled under the id of a
            # clinician's calendar was that calendar here, and its booking an internal error.
            raise RuleViolation(
                "clientId",
                "id-of-another-record",
                f"{client_id} is the id another of the platform's records goes by (a"
                " clinician's calendar, a site's stock or lot); nothing is recorded on it",
            )
        self._before.setdefault(aid, len(aggregate.pending))
        return aggregate

    def check_nothing(self) -> None:
        """Have the bus check, if this command records nothing, that no record it read was
        written since by another process, and else decide it again on the records as
        stored: a save's version check guards only a command that records, and finding
        nothing to do on a record cached before another process wrote it (a closure finding
        no session, a booking made a moment ago elsewhere) left that write undone."""
        self.nothing_checked = True

    def read(self) -> dict[UUID, int]:
        """Each aggregate this command asked for, by id, at the version it was loaded at
        (what earlier commands of the batch recorded on it not counted)."""
        return {
            aid: self._touched[aid].version - len(self._touched[aid].pending)
            for aid in self._before
        }

    def recorded(self) -> list[Recorded]:
        """What this command recorded, so a batch is stored in the order it was decided."""
        new: list[Recorded] = []
        for aid, start in self._before.items():
            new.extend(self._touched[aid].pending[start:])
        return new


Command = Callable[[UnitOfWork], T]


def on(cls: type[A], client_id: UUID, answer: T, step: Callable[[A], object]) -> Command[T]:
    """Most commands take one step on one client's aggregate and answer with an id they were
    given or drew when built (so a retry after a conflict answers with the same one)."""

    def run(uow: UnitOfWork) -> T:
        step(uow.get(cls, client_id))
        return answer

    return named_for(run, step)


def named_for(command: Command[T], step: Callable[..., object]) -> Command[T]:
    """A command is named (in the metrics) by the function that built it: one built by a
    shared helper takes the name of the command whose step it takes."""
    command.__qualname__ = step.__qualname__
    return command
