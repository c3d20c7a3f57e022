"""The benchmark's arguments are refused with the usage when they could measure nothing:
``--seconds -1`` ran every part, some nine minutes, and a rate or count of 0 or less was
taken; ``bench.profiles`` given a folder without profiles printed nothing and exited 0."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from carecoord.bench import __main__ as bench
from carecoord.bench import profiles


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("--seconds", "-1"),
        ("--seconds", "0"),
        ("--seconds", "nan"),
        ("--seconds", "inf"),
        ("--seconds", "five"),
        ("--read-rates", "0,50"),
        ("--read-rates", ","),
        ("--push-rates", "25,-50"),
        ("--scale-events", "0"),
        ("--scale-events", "-20000"),
        ("--history", "1.5"),
        ("--concurrency", "0"),
    ],
)
def test_an_argument_that_measures_nothing_is_refused_with_the_usage(
    argument: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        bench.arguments().parse_args([argument, value])

    assert exited.value.code == 2
    assert f"argument {argument}:" in capsys.readouterr().err


def test_arguments_within_bounds_are_taken() -> None:
    args = bench.arguments().parse_args(
        ["--seconds", "2.5", "--read-rates", "25, 50", "--scale-events", "1000"]
    )

    assert (args.seconds, args.read_rates, args.scale_events) == (2.5, (25.0, 50.0), 1000)


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_profiles_of_a_folder_without_any_say_so(
    folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(sys, "argv", ["profiles", str(tmp_path / folder)])

    with pytest.raises(SystemExit) as exited:
        profiles.main()

    assert exited.value.code == 2
    assert f"no profiles (*.txt) in {tmp_path / folder}" in capsys.readouterr().err
