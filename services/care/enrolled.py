"""Commands on a record that only an enrolled client has (consents, care team, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from carecoord.services.care.record import ClientRecord
from carecoord.services.kernel.aggregate import Aggregate
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork, named_for

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


def on_enrolled(
    cls: type[A], client_id: UUID, answer: T, step: Callable[[A], object]
) -> Command[T]:
    """One step on one of an enrolled client's records, answered with an id the command was
    given or drew when built; an unknown client is refused before anything is decided."""

    def run(uow: UnitOfWork) -> T:
        uow.get(ClientRecord, client_id).require_enrolled()
        step(uow.get(cls, client_id))
        return answer

    return named_for(run, step)
