"""An event with its global position: what every follower of the log receives (the
relay, the projection feed, rebuilds, replays). The position is the store's notification
number, published as the ``Carecoord-Position`` header."""

from __future__ import annotations

from dataclasses import dataclass

from carecoord.events.envelope import CareEvent


@dataclass(frozen=True, slots=True)
class Positioned:
    """An event with its global position in the store."""

    position: int
    event: CareEvent
