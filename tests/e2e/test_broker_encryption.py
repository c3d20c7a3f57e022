"""The JetStream store is encrypted at rest: the deployment's nats-server (deploy/nats.conf,
its key from the compose environment) and the embedded one (a key in the data directory).
Each is run for real: a published marker is readable through the server and absent from
the files of its store."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from test_deployment import COMPOSE, SECRETS, compose_config, resolved

from carecoord.services.infrastructure.settings import PUBLISHER_INBOX
from carecoord.services.runtime import embedded
from carecoord.services.runtime.embedded import free_port, nats_binary
from carecoord.services.runtime.processes import command_line, running_with

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nats.conf"
MARKER = b"clinical-marker-7f3a9c"
PASSWORDS = {
    "NATS_PASSWORD": "carecoord-pw",
    "NATS_RELAY_PASSWORD": "relay-pw",
    "NATS_DISCLOSURE_PASSWORD": "disclosure-pw",
    "NATS_SUBSCRIBER_PASSWORD": "sub-pw",
    "NATS_CLINIC_NORTH_PASSWORD": "north-pw",
}


def jetstream_block(text: str) -> str:
    found = re.search(r"^jetstream\s*\{(.*?)^\}", text, re.M | re.S)
    assert found, "no jetstream { ... } block"
    return found.group(1)


def test_the_deployment_conf_encrypts_the_store_with_a_key_from_the_environment() -> None:
    block = jetstream_block(CONF.read_text())
    assert re.search(r"^\s*cipher:\s*chachapoly\s*$", block, re.M)
    assert re.search(r"^\s*key:\s*\$NATS_JETSTREAM_KEY\s*$", block, re.M)


def test_compose_gives_every_nats_node_the_key_and_refuses_to_run_without_it() -> None:
    nodes = resolved("--profile", "cluster", env=SECRETS)["services"]
    for node in ("nats", "nats-2", "nats-3"):
        assert nodes[node]["environment"]["NATS_JETSTREAM_KEY"] == SECRETS["NATS_JETSTREAM_KEY"]
    without = {k: v for k, v in SECRETS.items() if k != "NATS_JETSTREAM_KEY"}
    done = compose_config(env=without)
    assert done.returncode != 0
    assert "set NATS_JETSTREAM_KEY" in done.stderr
    assert "NATS_JETSTREAM_KEY: ${NATS_JETSTREAM_KEY:?" in COMPOSE.read_text()


@contextlib.contextmanager
def deployed_nats(store: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """deploy/nats.conf on a free port; its URL (the relay user's), process and log."""
    port = free_port()
    log = store.parent / "nats.log"
    command = [nats_binary(), "-c", str(CONF), "-a", "127.0.0.1", "-p", str(port), "-m", "0"]
    command += ["-sd", str(store)]
    process = subprocess.Popen(
        command,
        env={**os.environ, **PASSWORDS, **env},
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        yield f"nats://relay:relay-pw@127.0.0.1:{port}", process, log
    finally:
        process.terminate()
        process.wait(5)


async def publish_marker(url: str) -> None:
    """A stream of one message holding MARKER, read back through the server."""
    nc = await connected(url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="CARE", subjects=["care.>"])
        await js.publish("care.test.Marker.1", MARKER)
        assert (await js.get_msg("CARE", 1)).data == MARKER
    finally:
        await nc.close()


async def connected(url: str) -> Client:
    deadline = time.monotonic() + 10
    while True:
        try:
            return await nats.connect(
                url, connect_timeout=1, allow_reconnect=False, inbox_prefix=PUBLISHER_INBOX
            )
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def launched_config(pid: int) -> str:
    """The config file a running nats-server was started with (its ``-c``)."""
    argv = command_line(pid)
    assert argv is not None
    return Path(argv[argv.index("-c") + 1]).read_text()


def stored_bytes(store: Path) -> bytes:
    return b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())


async def test_the_deployment_server_keeps_the_stream_encrypted(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with deployed_nats(store, NATS_JETSTREAM_KEY="a-key-from-the-secret-store") as (url, _, log):
        await publish_marker(url)
    assert "ChaCha20-Poly1305" in log.read_text()
    assert MARKER not in stored_bytes(store)


def test_the_deployment_server_does_not_start_without_the_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NATS_JETSTREAM_KEY"}
    command = [nats_binary(), "-c", str(CONF), "-a", "127.0.0.1", "-p", str(free_port())]
    done = subprocess.run(
        [*command, "-m", "0", "-sd", str(tmp_path)],
        env={**env, **PASSWORDS},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert done.returncode != 0
    assert "NATS_JETSTREAM_KEY" in done.stdout + done.stderr


async def test_the_embedded_server_runs_with_a_cipher_and_keeps_its_key(tmp_path: Path) -> None:
    server = embedded.start_nats(tmp_path)
    try:
        config = launched_config(server.process.pid)
        assert "cipher: chachapoly" in config
        await publish_marker(server.url)
    finally:
        server.stop()
    key = tmp_path / embedded.NATS_STORE_KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.read_text().strip() not in config  # the server reads it from its environment
    assert "ChaCha20-Poly1305" in (tmp_path / "nats" / "server.log").read_text()
    assert MARKER not in stored_bytes(tmp_path / "nats")

    again = embedded.start_nats(tmp_path)  # the same key opens the same store
    try:
        nc = await connected(again.url)
        try:
            assert (await nc.jetstream().get_msg("CARE", 1)).data == MARKER
        finally:
            await nc.close()
    finally:
        again.stop()


async def test_an_embedded_store_whose_key_is_lost_is_named_with_what_to_do(
    tmp_path: Path,
) -> None:
    """With its key gone a new one was made, the stream could not be read, and the command
    stopped blaming the stream's settings."""
    server = embedded.start_nats(tmp_path)
    try:
        await publish_marker(server.url)
    finally:
        server.stop()
    (tmp_path / embedded.NATS_STORE_KEY_FILE).unlink()

    with pytest.raises(embedded.EmbeddedServerFailed, match="encrypted with another key"):
        embedded.start_nats(tmp_path)
    assert list(running_with("-sd", str(tmp_path / "nats"))) == []  # the one it started, stopped
