"""The correlation ids of the work in hand, which every log line it writes carries.

The API binds a request's id around the operation it runs (``graphql/operation_trace.py``);
the command bus runs each command in the context it was submitted from, so a command's lines
carry its request's id on the writer thread too; the relay and the projector bind the ids of
the events of the page or batch they are at. ``services/runtime/logs.py`` adds what is bound
to each line. Only ids are bound here: never a client's clinical content.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType

from carecoord.events import CareEvent

_NOTHING: Mapping[str, object] = MappingProxyType({})
_BOUND: ContextVar[Mapping[str, object]] = ContextVar("carecoord_log_fields", default=_NOTHING)


def fields() -> Mapping[str, object]:
    """What is bound where this runs (empty outside any request, command or batch)."""
    return _BOUND.get()


@contextlib.contextmanager
def bound(**given: object) -> Iterator[None]:
    """Bind ``given`` to every log line written inside the block (and in the tasks and
    threads started from it, which copy the context)."""
    token = _BOUND.set(MappingProxyType({**_BOUND.get(), **given}))
    try:
        yield
    finally:
        _BOUND.reset(token)


def of_events(events: Iterable[CareEvent]) -> dict[str, object]:
    """The fields of a page or batch: the one correlation id of its events, or their
    distinct ids in order."""
    ids = list(dict.fromkeys(event.correlation_id for event in events))
    if len(ids) == 1:
        return {"correlation_id": str(ids[0])}
    return {"correlation_ids": ids} if ids else {}
