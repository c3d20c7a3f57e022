"""After start-up, what the process holds is left out of later collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from carecoord.services.runtime import heap


@pytest.fixture
def collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector")
def test_settling_freezes_what_start_up_left_and_widens_the_young_generation() -> None:
    held = [object() for _ in range(1_000)]

    heap.settle()

    assert gc.get_freeze_count() >= len(held)
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
    assert not any(gc.get_count()[1:]), "the older generations start empty"
