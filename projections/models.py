"""Every read model the projector keeps; each has its own position and durable consumer."""

from __future__ import annotations

from carecoord.projections import timeline
from carecoord.projections.projector import ReadModel

READ_MODELS: tuple[ReadModel, ...] = (timeline,)


def names() -> list[str]:
    return [model.NAME for model in READ_MODELS]
