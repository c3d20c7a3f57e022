"""Events as JSON Lines: one event a line, its store position first, then the body exactly as
the broker carries it (envelope, ``type``, ``schema_version``, facts), so a subscriber applies
a line of an export with the code that applies a message (docs/events.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from carecoord.events.positioned import Positioned


def line(item: Positioned) -> str:
    return f'{{"position":{item.position},{item.event.model_dump_json()[1:]}'


def lines(items: Iterable[Positioned]) -> Iterator[str]:
    return (line(item) for item in items)
