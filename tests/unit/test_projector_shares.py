"""Projector processes share the read models: each model is exactly one share's."""

from __future__ import annotations

import pytest

from carecoord.projections import timeline
from carecoord.projections.models import READ_MODELS, share
from carecoord.services.runtime.cli import main


@pytest.mark.parametrize("parts", [1, 2, 3, 5])
def test_the_shares_of_n_processes_cover_every_model_once(parts: int) -> None:
    shares = [share(f"{k}/{parts}") for k in range(1, parts + 1)]

    kept = [model.NAME for models in shares for model in models]
    assert sorted(kept) == sorted(model.NAME for model in READ_MODELS)
    assert all(shares)


def test_one_share_is_every_model_and_the_first_keeps_the_timeline() -> None:
    assert share("1/1") == READ_MODELS
    assert timeline in share("1/2")


def test_no_share_is_left_without_a_model() -> None:
    with pytest.raises(ValueError, match="at most"):
        share(f"1/{len(READ_MODELS) + 1}")


@pytest.mark.parametrize("spec", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2", ""])
def test_a_share_that_is_not_k_of_n_is_refused_naming_the_form(spec: str) -> None:
    with pytest.raises(ValueError, match="K/N"):
        share(spec)


def test_a_share_from_the_environment_out_of_range_stops_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2, as every other wrong setting (``settings_or_exit``): it exited 1."""
    monkeypatch.setenv("CARECOORD_PROJECTOR_SHARE", "3/2")

    with pytest.raises(SystemExit) as stopped:
        main(["project"])

    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "CARECOORD_PROJECTOR_SHARE" in said
    assert "K/N" in said
