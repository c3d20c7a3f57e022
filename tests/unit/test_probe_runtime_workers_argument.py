"""`carecoord api --workers 0` (or a negative count) ran one process as if nothing were
wrong, and a typo of 1000 forked 1000; a count outside 1 to 4 per CPU is refused with the
usage, as any other wrong argument, and so is the benchmark's for the API processes it
starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_run import run_cli, said

from carecoord.bench import __main__ as bench
from carecoord.services.runtime import cli


@pytest.mark.parametrize("count", ["0", "-3", "two", str(cli.MOST_WORKERS + 1)])
def test_a_worker_count_outside_the_bounds_is_refused_with_the_usage(
    count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.arguments().parse_args(["api", "--workers", count])

    assert exited.value.code == 2
    assert "argument --workers" in capsys.readouterr().err


def test_a_worker_count_of_one_to_the_most_is_taken() -> None:
    assert cli.arguments().parse_args(["api", "--workers", "3"]).workers == 3
    assert cli.arguments().parse_args(["api"]).workers == 1
    most = str(cli.MOST_WORKERS)
    assert cli.arguments().parse_args(["api", "--workers", most]).workers == cli.MOST_WORKERS


def test_a_typo_of_a_thousand_workers_exits_2_naming_the_argument_and_its_bound(
    tmp_path: Path,
) -> None:
    # Should the count be taken, the embedded servers' unusable data directory stops the
    # command before it starts any process.
    servers = ("DATABASE_URL", "NATS_URL")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_") and k not in servers
    }
    (tmp_path / "file").write_text("")
    env["CARECOORD_DATA_DIR"] = str(tmp_path / "file")
    typo = str(max(1000, cli.MOST_WORKERS + 1))
    done = run_cli(tmp_path, env, "api", "--workers", typo)

    assert done.returncode == 2
    *usage, told = said(done)
    assert usage[0].startswith("usage: carecoord api")
    assert told == (
        f"carecoord api: error: argument --workers: the API processes are 1 to"
        f" {cli.MOST_WORKERS} (4 per CPU), not {typo}"
    )


@pytest.mark.parametrize("option", ["--api-workers", "--read-workers"])
def test_the_benchmark_bounds_the_api_processes_it_starts_alike(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        bench.arguments().parse_args([option, str(cli.MOST_WORKERS + 1)])

    assert exited.value.code == 2
    assert f"argument {option}: the API processes are 1 to" in capsys.readouterr().err
    assert getattr(bench.arguments().parse_args([option, "2"]), option[2:].replace("-", "_")) == 2
