"""`carecoord api --workers 0` (or a negative count) ran one process as if nothing were
wrong; it is refused with the usage, as any other wrong argument."""

from __future__ import annotations

import pytest

from carecoord.services.runtime import cli


@pytest.mark.parametrize("count", ["0", "-3", "two"])
def test_a_worker_count_below_one_is_refused_with_the_usage(
    count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.arguments().parse_args(["api", "--workers", count])

    assert exited.value.code == 2
    assert "argument --workers" in capsys.readouterr().err


def test_a_worker_count_of_one_or_more_is_taken() -> None:
    assert cli.arguments().parse_args(["api", "--workers", "3"]).workers == 3
    assert cli.arguments().parse_args(["api"]).workers == 1
