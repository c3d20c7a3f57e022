"""The benchmark rebuilds every read model in one pass, which shows no model's share of
its time: each model is rebuilt alone too, and listed slowest first, so the model to make
faster is the first one named."""

from __future__ import annotations

from carecoord.bench.rebuilds import Rebuilt, slowest_first


def test_each_model_alone_is_listed_slowest_first_with_its_time_and_rate() -> None:
    each = {
        "consents": Rebuilt(1, 100_000, 0.25),
        "timeline": Rebuilt(1, 100_000, 1.25),
        "dosing": Rebuilt(1, 100_000, 0.5),
    }

    assert slowest_first(each) == (
        "timeline 1.25 s (80,000 events/s), dosing 0.50 s (200,000 events/s),"
        " consents 0.25 s (400,000 events/s)"
    )
