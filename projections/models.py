"""Every read model the projector keeps; each has its own position and durable consumer."""

from __future__ import annotations

from carecoord.projections import (
    alerts,
    break_glass,
    careteam,
    checkins,
    consents,
    dispensing_log,
    dosing,
    goals,
    inventory,
    medication_safety,
    medications,
    restrictions,
    stock,
    timeline,
)
from carecoord.projections.projector import ReadModel

READ_MODELS: tuple[ReadModel, ...] = (
    timeline,
    careteam,
    consents,
    break_glass,
    restrictions,
    medications,
    dosing,
    dispensing_log,
    inventory,
    stock,
    medication_safety,
    checkins,
    alerts,
    goals,
)


def names() -> list[str]:
    return [model.NAME for model in READ_MODELS]
