"""Events as JSON Lines: one event a line, its store position first, then the body exactly as
the broker carries it (envelope, ``type``, ``schema_version``, facts), so a subscriber applies
a line of an export with the code that applies a message (docs/events.md).

A line whose free text the reader is not shown (``withheld``: a clinician's reason in a
program admin's export) carries those fields null and names them in its ``withheld``, after
the position, as the timeline does: a reason kept back never reads as one left empty, and
such a line is no longer the event whole (an export to replay is an auditor's).

A disclosure's line names the version of the 42 CFR 2.32 notice that went with it
(``notice_version``, after the position): its event holds the notice's text alone, and two
versions' texts differ by a clause an auditor would have to find by reading."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence

from carecoord.events import CareEvent
from carecoord.events.access import DisclosureIntended, DisclosureRecorded
from carecoord.events.positioned import Positioned
from carecoord.services.consent.notice import version_of


def line(item: Positioned, withheld: Sequence[str] = ()) -> str:
    noted = notice_version(item.event)
    if not withheld and not noted:
        return f'{{"position":{item.position},{item.event.model_dump_json()[1:]}'
    body = json.loads(item.event.model_dump_json())
    shown: dict[str, object] = {"position": item.position, **noted}
    if withheld:
        shown["withheld"] = list(withheld)
    shown |= body | dict.fromkeys(withheld)
    return json.dumps(shown, ensure_ascii=False, separators=(",", ":"))


def notice_version(event: CareEvent) -> dict[str, str]:
    """``notice_version`` for a disclosure, nothing for another event."""
    if isinstance(event, DisclosureIntended | DisclosureRecorded):
        return {"notice_version": version_of(event.notice)}
    return {}


def lines(items: Iterable[Positioned], withheld: Mapping[int, Sequence[str]]) -> Iterator[str]:
    """``items`` one a line, each with the free text ``withheld`` names at its position
    withheld."""
    return (line(item, withheld.get(item.position, ())) for item in items)
