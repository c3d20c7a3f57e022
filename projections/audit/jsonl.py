"""Events as JSON Lines: one event a line, its store position first, then the body exactly as
the broker carries it (envelope, ``type``, ``schema_version``, facts), so a subscriber applies
a line of an export with the code that applies a message (docs/events.md).

A line whose free text the reader is not shown (``withheld``: a clinician's reason in a
program admin's export) carries those fields null and names them in its ``withheld``, after
the position, as the timeline does: a reason kept back never reads as one left empty, and
such a line is no longer the event whole (an export to replay is an auditor's)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence

from carecoord.events.positioned import Positioned


def line(item: Positioned, withheld: Sequence[str] = ()) -> str:
    if not withheld:
        return f'{{"position":{item.position},{item.event.model_dump_json()[1:]}'
    body = json.loads(item.event.model_dump_json())
    shown = {"position": item.position, "withheld": list(withheld), **body}
    return json.dumps(shown | dict.fromkeys(withheld), ensure_ascii=False, separators=(",", ":"))


def lines(items: Iterable[Positioned], withheld: Mapping[int, Sequence[str]]) -> Iterator[str]:
    """``items`` one a line, each with the free text ``withheld`` names at its position
    withheld."""
    return (line(item, withheld.get(item.position, ())) for item in items)
