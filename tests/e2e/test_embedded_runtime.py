"""The embedded default as a new user meets it: `carecoord up` with no DATABASE_URL or
NATS_URL, other commands attaching to its servers, and nothing left running after it.

Every command here runs as its own process in a temporary directory, with the servers'
variables removed from its environment even when this session has them set."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import jwt
import psycopg
import pytest
from cli_run import run_cli, said
from cryptography.hazmat.primitives.asymmetric import ec

from carecoord.events import Role
from carecoord.services.infrastructure.event_chain import TABLE as EVENT_TABLE
from carecoord.services.infrastructure.identity import issue_token
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime.embedded import NATS_TOKEN_FILE, free_port
from carecoord.services.runtime.processes import Proc
from carecoord.services.runtime.session import FILE_NAME, Runtime, live_runtime, write

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; parent-death signals"),
]

SECRET = "embedded-runtime-test-secret-0123456789"
WAITING_ON_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND backend_start >= %s"
)
ENROLL = 'mutation { enrollClient(input: {displayName: "Alex R.", program: "OTP"}) { id } }'


def command_env(home: Path, **settings: str) -> dict[str, str]:
    """This session's environment without the servers' variables or carecoord's own, the data
    directory under ``home``, the test's key and ``settings``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "NATS_URL") and not k.startswith("CARECOORD_")
    }
    return (
        env | {"CARECOORD_DATA_DIR": str(home / "data"), "CARECOORD_JWT_SECRET": SECRET} | settings
    )


class Command:
    """`carecoord <args>` in ``home``, on the embedded default, its output read as it comes."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "carecoord.services.runtime.cli", *args],
            cwd=home,
            env=env or command_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=_read, args=(stream, lines), daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def line(self, lines: queue.Queue[str], wanted: Callable[[str], bool], within: float) -> str:
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                if self.process.poll() is not None and lines.empty():
                    break
                continue
            self.seen.append(line)
            if wanted(line):
                return line
        time.sleep(0.2)
        raise AssertionError(
            f"no such line (exit status {self.process.poll()}); seen: {self.seen[-10:]}; "
            f"stderr: {self.drained(self.err)[-10:]}"
        )

    def drained(self, lines: queue.Queue[str]) -> list[str]:
        found = []
        while not lines.empty():
            found.append(lines.get_nowait())
        return found

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


def _read(stream: Iterable[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


def left_running(home: Path) -> list[str]:
    """Processes started for ``home``: its path in their command line, or their working
    directory in it (PostgreSQL's backends name neither in their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if argv and (str(home) in argv or cwd.startswith(str(home))):
            found.append(f"{entry.name}: {argv[:120]}")
    return found


def none_left_within(home: Path, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while (found := left_running(home)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def start_up(home: Path, port: int) -> Command:
    up = Command(home, "up", "--port", str(port))
    try:
        up.line(up.out, lambda line: line.startswith("carecoord GraphQL:"), within=60)
    except AssertionError:
        up.end()
        raise
    return up


def runtime_of(home: Path) -> Runtime:
    return Runtime.from_json(json.loads((home / "data" / FILE_NAME).read_text()))


@pytest.fixture(scope="module")
def platform_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Command, int]]:
    home = tmp_path_factory.mktemp("embedded-up")
    port = free_port()
    up = start_up(home, port)
    yield home, up, port
    up.process.send_signal(signal.SIGTERM)
    try:
        up.process.wait(10)
    finally:
        up.end()


def test_up_writes_where_its_servers_are_and_listens_on_the_port_given(
    platform_home: tuple[Path, Command, int],
) -> None:
    home, up, port = platform_home
    found = runtime_of(home)

    assert found.command == "up"
    assert found.owner.pid == up.pid
    assert found.live()
    assert found.api_url == f"http://127.0.0.1:{port}"
    assert f"host={home / 'data' / 'postgres'}" in found.database_url  # a unix socket only
    nats_url = urlsplit(found.nats_url)  # the loopback, with the server's token
    token = (home / "data" / NATS_TOKEN_FILE).read_text()
    assert (nats_url.hostname, nats_url.username) == ("127.0.0.1", token)
    assert nats_url.port != 4222
    assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200


def test_up_says_under_its_url_how_to_issue_a_token_and_that_token_is_taken(
    platform_home: tuple[Path, Command, int],
) -> None:
    """Without --demo, `up` printed the URL alone: a new user had no hint that every request
    needs a token, nor how to get one."""
    home, up, port = platform_home
    assert up.seen[-1].startswith("carecoord GraphQL:")
    said = up.line(up.out, lambda line: True, within=10)

    assert said == (
        "carecoord tokens: carecoord token --user <id> --role <role>, run in this folder"
        '  (GraphiQL headers: {"Authorization": "Bearer <token>"})'
    )
    issued = run_cli(
        home, command_env(home), "token", "--user", "admin-1", "--role", "program_admin"
    )
    answer = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": ENROLL},
        headers={"Authorization": f"Bearer {issued.stdout.strip()}"},
        timeout=10,
    ).json()
    assert answer["data"]["enrollClient"]["id"]


def write_jwks(path: Path) -> None:
    """An identity provider's key set of one ES256 key."""
    public = jwt.get_algorithm_by_name("ES256").to_jwk(
        ec.generate_private_key(ec.SECP256R1()).public_key()
    )
    path.write_text(json.dumps({"keys": [json.loads(public) | {"kid": "idp-1", "alg": "ES256"}]}))


@pytest.mark.parametrize(
    ("settings", "source"),
    [
        ({"CARECOORD_ENVIRONMENT": "production"}, "signed with CARECOORD_JWT_SECRET"),
        (
            {"CARECOORD_JWT_JWKS_FILE": "jwks.json", "CARECOORD_JWT_ALGORITHMS": '["ES256"]'},
            "checked with the keys CARECOORD_JWT_JWKS_FILE names",
        ),
    ],
    ids=["production", "a key set"],
)
def test_up_names_the_identity_provider_where_it_takes_no_development_token(
    tmp_path: Path, settings: dict[str, str], source: str
) -> None:
    """In production, or with an identity provider's key set (HS256 refused), a development
    token is no token the API takes: `up` says where its tokens come from instead."""
    write_jwks(tmp_path / "jwks.json")  # the key set's case names it
    port = free_port()
    up = Command(tmp_path, "up", "--port", str(port), env=command_env(tmp_path, **settings))
    try:
        up.line(up.out, lambda line: line.startswith("carecoord GraphQL:"), within=60)
        said = up.line(up.out, lambda line: True, within=10)

        assert said == f"carecoord tokens: from the identity provider, {source}"
    finally:
        up.process.send_signal(signal.SIGTERM)
        try:
            up.process.wait(10)
        finally:
            up.end()


def test_tail_attaches_to_up_and_prints_a_new_event_once(
    platform_home: tuple[Path, Command, int],
) -> None:
    home, up, port = platform_home
    tail = Command(home, "tail", "--new")
    try:
        tail.line(tail.err, lambda line: '"attached to running embedded servers"' in line, 30)
        tail.line(tail.err, lambda line: '"tailing"' in line, 30)
        assert len([p for p in left_running(home) if "nats-server" in p]) == 1

        token = issue_token(
            Settings(data_dir=home / "data", jwt_secret=SECRET), "admin-1", Role.PROGRAM_ADMIN
        )
        answer = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": ENROLL},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        client_id = answer["data"]["enrollClient"]["id"]

        printed = json.loads(tail.line(tail.out, lambda line: client_id in line, within=15))
        assert printed["type"] == "care.ClientEnrolled"
        time.sleep(1.0)  # a second copy would have arrived by now
        assert not [line for line in tail.drained(tail.out) if client_id in line]

        tail.process.send_signal(signal.SIGTERM)
        assert tail.process.wait(5) == 0
        assert runtime_of(home).owner.pid == up.pid  # tail started nothing and took nothing
    finally:
        tail.end()


def test_a_second_up_in_the_same_folder_is_refused_naming_the_first(
    platform_home: tuple[Path, Command, int],
) -> None:
    """It attached and ran a second platform on the first one's servers, which stopped it
    (exit 1) when the first was stopped."""
    home, up, port = platform_home

    second = run_cli(home, command_env(home), "up", "--port", str(free_port()))

    assert second.returncode == 1
    assert second.stdout == ""
    [told] = said(second)
    assert told.startswith(f"carecoord up: carecoord up (pid {up.pid}) already runs")
    assert f"http://127.0.0.1:{port}/graphql; stop it first" in told
    assert runtime_of(home).owner.pid == up.pid


def test_an_attached_audit_stopped_by_sigterm_says_so_and_exits_2(
    platform_home: tuple[Path, Command, int],
) -> None:
    """It exited 0 with nothing said, as an intact chain does, when stopped beside ``up``."""
    home, up, _ = platform_home
    url = runtime_of(home).database_url
    with (
        psycopg.connect(url, autocommit=True) as watcher,
        psycopg.connect(url) as holder,
        holder.transaction(),
    ):
        holder.execute(f"LOCK TABLE {EVENT_TABLE} IN ACCESS EXCLUSIVE MODE")  # it waits there
        started = watcher.execute("SELECT now()").fetchone()
        assert started is not None
        verify = Command(home, "audit", "verify")
        try:
            deadline = time.monotonic() + 30
            while (watcher.execute(WAITING_ON_A_LOCK, (started[0],)).fetchone() or (0,))[0] == 0:
                assert verify.process.poll() is None, verify.drained(verify.err)
                assert time.monotonic() < deadline, "the check never reached the store"
                time.sleep(0.01)
            verify.process.send_signal(signal.SIGTERM)
            assert verify.process.wait(10) == 2
        finally:
            verify.end()
    time.sleep(0.2)  # the reader threads have the last lines
    assert "carecoord audit verify: interrupted; nothing was checked" in verify.drained(verify.err)
    assert verify.drained(verify.out) == []
    assert runtime_of(home).owner.pid == up.pid


def test_sigterm_to_up_stops_everything_it_started_within_5_seconds(tmp_path: Path) -> None:
    up = start_up(tmp_path, free_port())
    try:
        found = runtime_of(tmp_path)
        assert found.postgres is not None
        assert found.nats is not None
        assert left_running(tmp_path)

        started = time.monotonic()
        up.process.send_signal(signal.SIGTERM)
        assert up.process.wait(5) == 0
        assert none_left_within(tmp_path, 5 - (time.monotonic() - started)) == []
        assert not (tmp_path / "data" / FILE_NAME).exists()
    finally:
        up.end()


def test_a_killed_up_leaves_nothing_running_and_the_next_command_cleans_its_file(
    tmp_path: Path,
) -> None:
    up = start_up(tmp_path, free_port())
    up.process.send_signal(signal.SIGKILL)
    up.process.wait(5)
    assert none_left_within(tmp_path, 5) == []  # the servers die with their parent
    assert (tmp_path / "data" / FILE_NAME).exists()  # stale: it names a gone owner

    rebuild = Command(tmp_path, "rebuild", "timeline")
    try:
        assert rebuild.process.wait(60) == 0, rebuild.drained(rebuild.err)
        assert any(
            '"removed a stale runtime file"' in line for line in rebuild.drained(rebuild.err)
        )
        assert not (tmp_path / "data" / FILE_NAME).exists()  # its own servers, stopped again
        assert none_left_within(tmp_path, 5) == []
    finally:
        rebuild.end()


def test_an_attached_tail_whose_servers_stop_says_so_and_exits_1(tmp_path: Path) -> None:
    """It exited 0 with a log line alone, as a tail stopped on purpose does: its supervisor
    or script took the end of its feed for a finished one."""
    up = start_up(tmp_path, free_port())
    tail = Command(tmp_path, "tail")
    try:
        tail.line(tail.err, lambda line: '"tailing"' in line, 30)
        up.process.send_signal(signal.SIGKILL)
        up.process.wait(5)

        assert tail.process.wait(15) == 1
        time.sleep(0.2)  # the reader threads have the last lines
        said = [line for line in tail.drained(tail.err) if not line.startswith("{")]
        assert said == ["carecoord tail: stopped, the embedded servers it used have stopped"]
    finally:
        tail.end()
        up.end()


def test_a_stale_file_is_removed_and_a_server_it_names_is_stopped(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    leftover = subprocess.Popen(["sleep", "60"])
    try:
        owner = Proc(gone.pid, 1)
        server = Proc.of(leftover.pid)
        assert server is not None
        write(tmp_path, Runtime("up", owner, "postgresql://x", "nats://x", nats=server))

        assert live_runtime(tmp_path) is None
        assert not (tmp_path / FILE_NAME).exists()
        assert leftover.wait(5) == -signal.SIGTERM
    finally:
        leftover.kill()
        leftover.wait()


@pytest.mark.parametrize("damaged", [b"{", b"\xff\xfe"], ids=["not JSON", "not UTF-8"])
def test_a_damaged_file_is_stale(tmp_path: Path, damaged: bytes) -> None:
    """A file not UTF-8 was a traceback at every command, a file not JSON a stale one."""
    (tmp_path / FILE_NAME).write_bytes(damaged)

    assert live_runtime(tmp_path) is None
    assert not (tmp_path / FILE_NAME).exists()


def test_up_on_an_ipv6_address_prints_a_url_that_reaches_it(tmp_path: Path) -> None:
    """``--host ::1`` printed (and wrote to the runtime file) ``http://::1:<port>``, which
    no client reads as a host and a port."""
    port = free_port()
    up = Command(tmp_path, "up", "--host", "::1", "--port", str(port))
    try:
        said = up.line(up.out, lambda line: line.startswith("carecoord GraphQL:"), within=60)
        url = f"http://[::1]:{port}"

        assert said == f"carecoord GraphQL: {url}/graphql  (health: {url}/health)"
        assert runtime_of(tmp_path).api_url == url
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
    finally:
        up.process.send_signal(signal.SIGTERM)
        try:
            up.process.wait(10)
        finally:
            up.end()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_up_stopped_anchors_the_chain_last_and_leaves_nothing_running(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """A hangup (the terminal or the SSH session closed) stops up as SIGTERM does: it ended
    the process where it stood, with no last anchor of the chain and its servers left to
    their parent-death signals."""
    port = free_port()
    up = start_up(tmp_path, port)
    try:
        token = issue_token(Settings(jwt_secret=SECRET), "admin-1", Role.PROGRAM_ADMIN)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": ENROLL},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert "errors" not in answer.json(), answer.text
        with psycopg.connect(runtime_of(tmp_path).database_url) as conn:
            row = conn.execute(f"SELECT max(notification_id) FROM {EVENT_TABLE}").fetchone()
        assert row is not None

        up.process.send_signal(stop)
        assert up.process.wait(10) == 0
        assert none_left_within(tmp_path, 5) == []
        assert not (tmp_path / "data" / FILE_NAME).exists()
        anchors = (tmp_path / "data" / "event-chain-anchors.jsonl").read_text().splitlines()
        assert json.loads(anchors[-1])["position"] == row[0]
    finally:
        up.end()
