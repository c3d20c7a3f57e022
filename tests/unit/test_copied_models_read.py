"""A rebuild's workers build a copied model's rows from the events it names in ``READS``
alone: every other event of a client's record must make no row of it, or a rebuild would
leave out rows the live projector writes."""

from __future__ import annotations

from types import ModuleType

import pytest
from every_event import every_event

from carecoord.events.positioned import Positioned
from carecoord.projections.models import READ_MODELS

COPIED_WITH_READS = [m for m in READ_MODELS if hasattr(m, "COPIED") and hasattr(m, "READS")]


@pytest.mark.parametrize("model", COPIED_WITH_READS, ids=lambda m: str(m.NAME))
def test_events_a_copied_model_does_not_read_make_none_of_its_rows(model: ModuleType) -> None:
    others = [e for e in every_event().events if not isinstance(e, model.READS)]
    made = model.COPIED.rows([Positioned(n, e) for n, e in enumerate(others, 1)])

    assert others
    assert list(made) == []
