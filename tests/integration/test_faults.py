"""The pipeline under crashes and outages: separate api / relay / project processes on a
PostgreSQL and a nats-server of this module's own, faults injected while check-ins are
being recorded through the API.

After each fault, and once everything is running again: every acknowledged command is in
the store, the stream holds every stored event exactly once, every view has applied
every event once, and a care-team membership ended while the fault was on is refused at
once and stays refused. The default run injects each fault once; ``pytest -m slow`` runs
each five more times.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool
from restartable_nats import RestartableNats

from carecoord.events import Role
from carecoord.projections.models import READ_MODELS, names
from carecoord.projections.verify import Verified, verify_all
from carecoord.services.infrastructure.children import die_with_parent
from carecoord.services.infrastructure.identity import issue_token
from carecoord.services.infrastructure.relay import POSITION_HEADER
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.runtime import embedded
from carecoord.services.runtime.embedded import free_port

SECRET = "fault-tests-secret-fault-tests-secret"
PARTS = ("api", "relay", "project")
EXIT_BROKER_GONE = 75

ENROLL = "mutation($i: EnrollClientInput!) { enrollClient(input: $i) { id position } }"
ASSIGN = """mutation($i: AssignCareTeamMemberInput!) {
  assignCareTeamMember(input: $i) { id position } }"""
END = """mutation($i: EndCareTeamMembershipInput!) {
  endCareTeamMembership(input: $i) { id position } }"""
CHECK_IN = "mutation($i: RecordCheckInInput!) { recordCheckIn(input: $i) { id position } }"
TIMELINE = """query($c: UUID!) { clientTimeline(clientId: $c, first: 1) {
  edges { node { type } } } }"""


@dataclass
class Deployment:
    """This module's servers and the platform's three processes, each restartable."""

    root: Path
    database_url: str
    pg_restart: Any
    nats: RestartableNats = field(init=False)
    api_port: int = field(default_factory=free_port)
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    parts: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.nats = RestartableNats(self.root, name=f"faults-{self.tag}")

    @property
    def nats_url(self) -> str:
        return self.nats.url

    @property
    def settings(self) -> Settings:
        return Settings(jwt_secret=SECRET, subject_root=f"f{self.tag}", stream_name=f"F{self.tag}")

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            NATS_URL=self.nats_url,
            CARECOORD_JWT_SECRET=SECRET,
            CARECOORD_SUBJECT_ROOT=self.settings.subject_root,
            CARECOORD_STREAM_NAME=self.settings.stream_name,
            CARECOORD_DATA_DIR=str(self.root / "data"),
            CARECOORD_PORT=str(self.api_port),
            CARECOORD_RELAY_PAGE_SIZE="20",
            CARECOORD_PROJECTION_BATCH_SIZE="20",
            CARECOORD_NATS_RECONNECT_WAIT_SECONDS="0.25",
            CARECOORD_READ_YOUR_WRITES_TIMEOUT="1.0",
        )
        env.pop("CARECOORD_CRASH_AT", None)
        env.update(extra)
        return env

    def start(self, part: str, **extra: str) -> None:
        log = (self.root / f"{part}.log").open("ab")
        self.parts[part] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "carecoord.services.runtime.cli",
                "--log-level",
                "WARNING",
                part,
            ],
            env=self.env(**extra),
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent(signal.SIGKILL),  # noqa: PLW1509
        )

    def kill(self, part: str) -> None:
        process = self.parts[part]
        process.send_signal(signal.SIGKILL)
        process.wait()

    async def exited(self, part: str, within: float = 60.0) -> int:
        return await asyncio.to_thread(self.parts[part].wait, within)

    def log(self, part: str) -> str:
        return (self.root / f"{part}.log").read_text(errors="replace")[-3000:]

    def stop_all(self) -> None:
        for process in self.parts.values():
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    with tempfile.TemporaryDirectory(prefix="carecoord-faults-") as tmp:
        root = Path(tmp)
        server = [embedded.launch_postgres(root)]

        def restart() -> None:
            """A fast shutdown and a start on the same data directory and socket."""
            server[0].stop()
            server[0] = embedded.launch_postgres(root)
            assert server[0].url == found.database_url

        found = Deployment(root, server[0].url, restart)
        found.nats.start()
        for part in PARTS:
            found.start(part)
        try:
            yield found
        finally:
            found.stop_all()
            if found.nats.running:
                found.nats.kill()
            server[0].stop()


@dataclass
class Client:
    """A client with two nurses on the care team, one of whom is removed during a fault."""

    http: httpx.AsyncClient
    deployment: Deployment
    client_id: str = ""
    acknowledged: dict[int, str] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    """Check-ins not acknowledged, by why: an error's code and rule, or the API down."""

    def token(self, role: Role, user: str) -> str:
        return issue_token(self.deployment.settings, user, role)

    async def gql(self, query: str, variables: dict[str, Any], role: Role, user: str) -> Any:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token(role, user)}"},
        )
        assert response.status_code < 500, response.text
        return response.json()

    async def ok(self, query: str, variables: dict[str, Any], role: Role, user: str) -> Any:
        body = await self.gql(query, variables, role, user)
        assert not body.get("errors"), body
        return next(iter(body["data"].values()))

    async def check_in(self, n: int, user: str = "nurse-a") -> None:
        """One check-in; an acknowledged one is remembered by position."""
        try:
            body = await self.gql(
                CHECK_IN,
                {"i": {"clientId": self.client_id, "mood": n % 10, "note": f"check-in {n}"}},
                Role.NURSE,
                user,
            )
        except httpx.HTTPError:
            self.refused["API down"] += 1
            return
        for error in body.get("errors") or []:
            extensions = error.get("extensions") or {}
            self.refused[f"{extensions.get('code')} {extensions.get('rule')}"] += 1
        if not body.get("errors"):
            done = body["data"]["recordCheckIn"]
            self.acknowledged[int(done["position"])] = done["id"]


async def api_ready(http: httpx.AsyncClient, within: float = 90.0) -> None:
    """Bounds are generous: three Python processes starting at once on a loaded 2-core
    machine took over 30 s; a bound is a deadline, not a measurement."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if (await http.get("/health")).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the API did not come up")


@pytest.fixture
async def client(deployment: Deployment) -> AsyncIterator[Client]:
    # A connection idle for 2 s is not reused: uvicorn closes one idle for 5 s, and a request
    # sent as it closes fails on the client (the checks after a fault wait that long).
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{deployment.api_port}",
        timeout=15,
        limits=httpx.Limits(keepalive_expiry=2),
    ) as http:
        await api_ready(http)
        found = Client(http, deployment)
        enrolled = await found.ok(
            ENROLL, {"i": {"displayName": "F. Ault", "program": "OTP"}}, Role.PROGRAM_ADMIN, "a"
        )
        found.client_id = enrolled["id"]
        for nurse in ("nurse-a", "nurse-x"):
            await found.ok(
                ASSIGN,
                {"i": {"clientId": found.client_id, "memberId": nurse, "role": "NURSE"}},
                Role.PROGRAM_ADMIN,
                "a",
            )
        yield found


async def workload(client: Client, count: int, start: int = 0) -> None:
    """``count`` check-ins, a few at a time, spread over about a second."""
    for first in range(start, start + count, 5):
        await asyncio.gather(*(client.check_in(n) for n in range(first, first + 5)))
        await asyncio.sleep(0.02)


async def remove_nurse_x(client: Client) -> None:
    """End nurse-x's membership (retrying while the API is down), then check that every
    later request of theirs is refused, whether or not the views have caught up."""
    variables = {"i": {"clientId": client.client_id, "memberId": "nurse-x", "reason": "left"}}
    for _ in range(100):
        try:
            body = await client.gql(END, variables, Role.PROGRAM_ADMIN, "a")
        except httpx.HTTPError:
            body = {"errors": ["API down"]}
        if not body.get("errors"):
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"the membership could not be ended: {body}")
    await assert_nurse_x_refused(client)


async def assert_nurse_x_refused(client: Client) -> None:
    write = await client.gql(
        CHECK_IN, {"i": {"clientId": client.client_id, "mood": 1}}, Role.NURSE, "nurse-x"
    )
    read = await client.gql(TIMELINE, {"c": client.client_id}, Role.NURSE, "nurse-x")
    for body in (write, read):
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
        assert codes & {"FORBIDDEN", "UNAVAILABLE"}, body
        assert not (body.get("data") or {}).get("recordCheckIn"), body


async def settled(deployment: Deployment, within: float = 120.0) -> int:
    """Wait until the relay and every view have the store's head; return the head."""
    followers = ["relay", *names()]
    deadline = time.monotonic() + within
    async with await psycopg.AsyncConnection.connect(deployment.database_url) as conn:
        while True:
            head = (await (await conn.execute(HEAD)).fetchone() or (0,))[0] or 0
            cur = await conn.execute(
                "SELECT name, position FROM follower_positions WHERE name = ANY(%s)",
                (followers,),
            )
            reached: dict[str, int] = dict(await cur.fetchall())
            if all(reached.get(name, 0) >= head for name in followers):
                return int(head)
            if time.monotonic() > deadline:
                raise AssertionError(f"not settled: head {head}, followers {reached}")
            await asyncio.sleep(0.1)


HEAD = "SELECT max(notification_id) FROM carecoord_events"


async def stream_positions(deployment: Deployment) -> Counter[int]:
    connection = await nats.connect(deployment.nats_url)
    try:
        js = connection.jetstream()
        stream = deployment.settings.stream_name
        info = await js.stream_info(stream)
        seen: Counter[int] = Counter()
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq=seq)
            seen[int((msg.headers or {})[POSITION_HEADER])] += 1
        return seen
    finally:
        await connection.close()


async def views_derived_afresh(deployment: Deployment) -> list[Verified]:
    """Every read model compared with a derivation of it from the store."""
    settings = deployment.settings.model_copy(update={"database_url": deployment.database_url})
    store = EventStore(env=store_env(settings))
    try:
        async with AsyncConnectionPool(deployment.database_url, open=False) as pool:
            return await verify_all(store, pool, READ_MODELS)
    finally:
        store.close()


async def column(conn: psycopg.AsyncConnection[Any], query: str) -> list[Any]:
    return [row[0] for row in await (await conn.execute(query)).fetchall()]


async def assert_whole(deployment: Deployment, client: Client) -> dict[str, int]:
    """acknowledged = stored = published = applied in every view, each once."""
    head = await settled(deployment)
    async with await psycopg.AsyncConnection.connect(deployment.database_url) as conn:
        stored = await column(conn, "SELECT notification_id FROM carecoord_events ORDER BY 1")
        check_ins = await column(
            conn,
            "SELECT notification_id FROM carecoord_events"
            " WHERE topic = 'checkins.CheckInRecorded' ORDER BY 1",
        )
        in_timeline = await column(conn, "SELECT position FROM timeline ORDER BY 1")
        in_series = await column(conn, "SELECT DISTINCT position FROM checkin_series ORDER BY 1")
        parked = await column(conn, "SELECT position FROM parked_events")
    published = await stream_positions(deployment)
    verified = await views_derived_afresh(deployment)

    assert set(client.acknowledged) <= set(stored), "an acknowledged command is not stored"
    assert sorted(published) == stored, "the stream and the store differ"
    assert set(published.values()) == {1}, "an event is on the stream twice"
    assert in_timeline == stored, "the timeline misses or repeats an event"
    assert in_series == check_ins, "the check-in series misses a check-in"
    assert parked == []
    assert [v.name for v in verified if not v.intact] == [], "a view differs from the log"
    await assert_nurse_x_refused(client)
    return {"head": head, "acknowledged": len(client.acknowledged), "stored": len(stored)}


async def crash_at(deployment: Deployment, client: Client, part: str, point: str) -> None:
    """Restart ``part`` so that it kills itself at ``point``; start it again once it has."""
    deployment.kill(part)
    deployment.start(part, CARECOORD_CRASH_AT=f"{point}:3")
    if part == "api":
        await api_ready(client.http)
    writing = asyncio.create_task(workload(client, 60))
    assert await deployment.exited(part) == -signal.SIGKILL
    await remove_nurse_x(client)
    deployment.start(part)
    await writing
    await served_again(client)


async def served_again(client: Client, within: float = 90.0) -> None:
    """A check-in acknowledged once the part is back: on a loaded machine the whole
    workload may fall while a restarted projector starts, every check-in refused as the
    access rules catch up (as they must be), and the fault's run would show no write."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = len(client.acknowledged)
        await client.check_in(200)
        if len(client.acknowledged) > before:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"no check-in acknowledged after the fault: {dict(client.refused)}")


async def kill_api(deployment: Deployment, client: Client) -> None:
    writing = asyncio.create_task(workload(client, 60))
    await asyncio.sleep(0.3)
    deployment.kill("api")  # requests in flight lose their answers, not their effects
    deployment.start("api")
    await api_ready(client.http)
    await writing
    await remove_nurse_x(client)


async def nats_down(deployment: Deployment, client: Client, seconds: float) -> None:
    writing = asyncio.create_task(workload(client, 60))
    await asyncio.sleep(0.2)
    deployment.nats.kill()
    await remove_nurse_x(client)
    await asyncio.sleep(seconds)
    deployment.nats.start()
    await writing


async def nats_down_past_the_budget(deployment: Deployment, client: Client) -> None:
    """With a reconnect budget of about a second, a 4 s outage makes the relay exit with 75
    for its supervisor. The API and the projector never connect to the broker: they go on,
    and an API restarted in the outage takes commands at once (it waited for the broker, then
    exited 75). The relay, started again once NATS is back, publishes what was recorded."""
    for part in PARTS:
        deployment.kill(part)
        deployment.start(part, CARECOORD_NATS_RECONNECT_ATTEMPTS="2")
    try:
        await api_ready(client.http)
    except AssertionError:
        raise AssertionError(deployment.log("api")) from None
    writing = asyncio.create_task(workload(client, 40))
    await asyncio.sleep(0.2)
    deployment.nats.kill()
    await writing
    assert await deployment.exited("relay") == EXIT_BROKER_GONE, deployment.log("relay")
    deployment.kill("api")
    deployment.start("api", CARECOORD_NATS_RECONNECT_ATTEMPTS="2")
    await api_ready(client.http)
    await remove_nurse_x(client)
    await workload(client, 20, start=100)
    assert [deployment.parts[part].poll() for part in ("api", "project")] == [None, None]
    deployment.nats.start()
    deployment.start("relay")


async def nats_frozen_at_stop(deployment: Deployment, client: Client) -> None:
    """A hung broker (its process stopped) as every part is asked to stop: each exits 0
    within a few seconds, where the NATS client's drain waited on it for over 20 s, longer
    than a service manager waits; what the relay had not seen confirmed it publishes after
    the restart, once."""
    writing = asyncio.create_task(workload(client, 60))
    await asyncio.sleep(0.2)
    deployment.nats.freeze()
    try:
        await writing
        for part in PARTS:
            deployment.parts[part].send_signal(signal.SIGTERM)
        for part in PARTS:
            assert await deployment.exited(part, within=STOP_BOUND) == 0, deployment.log(part)
    finally:
        deployment.nats.thaw()
    for part in PARTS:
        deployment.start(part)
    await api_ready(client.http)
    await remove_nurse_x(client)
    await workload(client, 20, start=100)


STOP_BOUND = 12.0  # seconds: a failure bound, over the ~4 s a stop takes, under the 20 s it took


async def postgres_restart(deployment: Deployment, client: Client) -> None:
    writing = asyncio.create_task(workload(client, 60))
    await asyncio.sleep(0.3)
    deployment.pg_restart()  # on this thread: the new server dies with the thread that started it
    await writing
    await remove_nurse_x(client)
    await workload(client, 20, start=100)


FAULTS = {
    "projector killed after reading, before applying": lambda d, c: crash_at(
        d, c, "project", "projector-read"
    ),
    "projector killed mid-batch": lambda d, c: crash_at(d, c, "project", "projector-mid-batch"),
    "projector killed after applying": lambda d, c: crash_at(d, c, "project", "projector-applied"),
    "relay killed after publishing, before recording": lambda d, c: crash_at(
        d, c, "relay", "relay-published"
    ),
    "API killed with requests in flight": kill_api,
    "NATS down for 3 s": lambda d, c: nats_down(d, c, 3.0),
    "NATS down past the reconnect budget": nats_down_past_the_budget,
    "PostgreSQL restarted": postgres_restart,
    "NATS frozen as every part stops": nats_frozen_at_stop,
}


async def run_fault(deployment: Deployment, client: Client, fault: str) -> dict[str, int]:
    await FAULTS[fault](deployment, client)
    figures = await assert_whole(deployment, client)
    print(f"\n{fault}: {figures}")  # the counts per fault, with -s
    return figures


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_each_fault_loses_and_repeats_nothing(
    deployment: Deployment, client: Client, fault: str
) -> None:
    figures = await run_fault(deployment, client, fault)
    assert figures["acknowledged"] > 0, f"every check-in refused: {dict(client.refused)}"


@pytest.mark.slow
@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("run", range(5))
async def test_each_fault_again_and_again(
    deployment: Deployment, client: Client, fault: str, run: int
) -> None:
    figures = await run_fault(deployment, client, fault)
    assert figures["acknowledged"] > 0, f"run {run}, every check-in refused: {dict(client.refused)}"
