"""Every read model the projector keeps, each with its own position; and how several
projector processes share them.

Each module says how its rows are derived (``VERSION``, ``projector.ReadModel``): a change to
a model's rows or to how they are derived raises it, so that upgraded projectors rebuild it."""

from __future__ import annotations

from carecoord.projections import (
    alerts,
    break_glass,
    careteam,
    checkins,
    consents,
    disclosures,
    dispensing_log,
    dispensing_sites,
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
    dispensing_sites,
    medication_safety,
    checkins,
    alerts,
    goals,
    disclosures,
)


def names() -> list[str]:
    return [model.NAME for model in READ_MODELS]


def share(spec: str) -> tuple[ReadModel, ...]:
    """The read models projector ``K`` of ``N`` keeps (``spec`` is ``"K/N"``).

    Every model is one process's alone, in turns down the list (the timeline, the heaviest,
    is the first share's), and each model applies every event in order from its own
    position, so a client's order holds in each. Two processes given the same share take
    turns on the position locks: nothing is applied twice.
    """
    part, _, parts = spec.partition("/")
    if not (part.isdigit() and parts.isdigit() and 1 <= int(part) <= int(parts)):
        raise ValueError(f"a projector share is K/N with 1 <= K <= N, e.g. 1/2; not {spec!r}")
    if int(parts) > len(READ_MODELS):
        raise ValueError(f"at most {len(READ_MODELS)} projector shares, one a read model")
    return READ_MODELS[int(part) - 1 :: int(parts)]
