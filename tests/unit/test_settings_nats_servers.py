"""A NATS URL may list a cluster's servers, comma separated, as NATS's own tools take it; one
that no NATS server can answer at is refused at start with its credentials hidden. A list
was read as one URL ("invalid connect url option"), and a bad URL was tried for 30 s before
the command exited 75 for a restart that could not help."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_run import run_cli

from carecoord.services.infrastructure.server_urls import (
    described,
    nats_servers,
    nats_url_problem,
    without_credentials,
)


def test_a_list_of_servers_is_each_of_them_once() -> None:
    assert nats_servers(" nats://a:4222, nats://u:pw@b:4222 ,nats://a:4222,") == [
        "nats://a:4222",
        "nats://u:pw@b:4222",
    ]
    assert nats_url_problem("nats://a:4222,tls://b,c:4223,d") is None


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://a:4222", "server 1 (http://a:4222) is not nats://, tls://, ws:// or wss://"),
        (
            "nats://a:4222,nats://u:s3cret@b:42x2",
            "server 2 (nats://u:***@b:42x2) has a port that is not a number from 0 to 65535",
        ),
        ("nats://:4222", "server 1 (nats://:4222) names no host"),
        ("ws://a,nats://b", "mixes websocket (ws://, wss://) and other servers"),
        (",", "names no server"),
        ("ops:s3cret@b:port", "server 1 (ops:***@b:port) has a port that is not a number"),
        (
            "nats://a,nats://ops:s3cret@[::1:4222",
            "server 2 (nats://ops:***@[::1:4222) is not a URL",
        ),
    ],
)
def test_a_url_no_nats_server_answers_at_is_named(url: str, said: str) -> None:
    problem = nats_url_problem(url)
    assert problem is not None
    assert problem.startswith(said)
    assert "s3cret" not in problem


def test_a_server_named_without_a_scheme_shows_no_password() -> None:
    """``ops:s3cret@b:4222`` is taken as ``nats://ops:s3cret@b:4222``, and was shown whole in
    every 'broker not ready' line while the client tried it."""
    url = "ops:s3cret@b:4222,nats://a:4222"
    assert without_credentials(url) == "ops:***@b:4222,nats://a:4222"
    assert described(OSError("no ops:s3cret@b"), url) == "OSError: no ops:***@b"


def test_the_command_line_refuses_it_at_once_without_its_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_")}
    env["NATS_URL"] = "nats://127.0.0.1:4222,nats://ops:s3cret@broker-2:port"
    done = run_cli(tmp_path, env, "tail", "--new")

    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "carecoord: NATS_URL: Value error, server 2 (nats://ops:***@broker-2:port) has a port"
        " that is not a number from 0 to 65535\n"
    )
