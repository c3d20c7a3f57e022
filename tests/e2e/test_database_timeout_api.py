"""A read behind a lock it cannot get (an operator's LOCK TABLE, a long migration, a
transaction left open) is answered within the API's bound (``api_statement_timeout_seconds``)
as UNAVAILABLE, rule ``database-timeout``, for the client to retry: it hung for as long as the
lock was held, the request and its connection held with it long after the client gave up.
Nothing is logged as read by it, and the projector, which waits on such a lock by design, is
not cut: what it applies behind the lock is there once the lock goes. A command's checks read
the same views, and are answered the same, nothing recorded; its write to the store is not
bound (the store's lock orders every writer)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import isolated_settings
from psycopg import sql

from carecoord.events import Role
from carecoord.projections import careteam, consents
from carecoord.projections.audit import settling
from carecoord.services.infrastructure.settings import Settings
from support import Api, ago, mutation

BOUND_SECONDS = 1.0
ANSWERED_WITHIN = BOUND_SECONDS + 3.0  # the bound, and the request's own work and round trip

ENROLL = mutation("EnrollClientInput", "enrollClient")
CONSENT = mutation("RecordConsentInput", "recordConsent")
CONSENTS = """query($id: UUID!, $atLeast: Seq) {
  consents(clientId: $id, atLeast: $atLeast) { memberIds } }"""
CHECK_IN = mutation("RecordCheckInInput", "recordCheckIn")
CHECK_INS = """query($id: UUID!, $atLeast: Seq) {
  clientTimeline(clientId: $id, atLeast: $atLeast, kinds: [CHECK_IN]) { edges { cursor } } }"""
ACCESS_LOG = """query($id: UUID) { accessLog(clientId: $id, first: 500) { operation } }"""


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return isolated_settings(data_dir, api_statement_timeout_seconds=BOUND_SECONDS)


@asynccontextmanager
async def locked(api: Api, view: str) -> AsyncIterator[None]:
    """Read model ``view``'s table locked as an operator would, until the block ends."""
    async with await psycopg.AsyncConnection.connect(api.platform.database_url) as conn:
        found = await conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE %s"
            " ORDER BY length(tablename) DESC, tablename DESC LIMIT 1",
            (f"{view}\\_g%",),
        )
        [table] = await found.fetchone() or [None]
        assert table is not None, view
        lock = sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(table))
        await conn.execute(lock)
        try:
            yield
        finally:
            await conn.rollback()


async def consent(api: Api, client_id: str, member_id: str) -> int:
    data = await api.ok(
        CONSENT,
        {
            "input": {
                "clientId": client_id,
                "recipients": [{"type": "MEMBER", "id": member_id}],
                "purpose": "treatment",
                "dataKinds": ["CARE"],
                "expiryEvent": "end of treatment",
                "signedOn": ago(days=1)[:10],
                "signedBy": "Noa E.",
            }
        },
        role=Role.PROGRAM_ADMIN,
    )
    return int(data["recordConsent"]["position"])


async def consents_read(api: Api, client_id: str) -> int:
    """The reads of the client's consents the access log holds."""
    data = await api.ok(ACCESS_LOG, {"id": client_id}, role=Role.AUDITOR, user="auditor-1")
    return sum(1 for entry in data["accessLog"] if entry["operation"] == "consents")


async def enrolled(api: Api) -> str:
    data = await api.ok(
        ENROLL,
        {"input": {"displayName": "Noa E.", "program": "OTP", "occurredAt": ago(days=3)}},
        role=Role.PROGRAM_ADMIN,
    )
    return str(data["enrollClient"]["id"])


def timed_out(body: dict[str, Any]) -> bool:
    [error] = body["errors"]
    found = (error["extensions"]["code"], error["extensions"]["rule"])
    return found == ("UNAVAILABLE", "database-timeout") and "retry" in error["message"]


async def test_a_read_behind_a_lock_is_answered_to_retry_within_the_bound(api: Api) -> None:
    client_id = await enrolled(api)
    first = await consent(api, client_id, "dr-first")
    asked: dict[str, Any] = {"id": client_id, "atLeast": first}
    assert len((await api.ok(CONSENTS, asked, role=Role.PROGRAM_ADMIN))["consents"]) == 1
    logged = await consents_read(api, client_id)

    async with locked(api, consents.NAME):
        started = time.monotonic()
        body = await api.gql(CONSENTS, {"id": client_id}, role=Role.PROGRAM_ADMIN)
        took = time.monotonic() - started
        # Recorded behind the lock: the projector waits on it for longer than the bound.
        second = await consent(api, client_id, "dr-second")
        await asyncio.sleep(2 * BOUND_SECONDS)

    assert timed_out(body), body
    assert BOUND_SECONDS <= took < ANSWERED_WITHIN, took
    assert await consents_read(api, client_id) == logged  # nothing was read
    again = await api.ok(CONSENTS, {"id": client_id, "atLeast": second}, role=Role.PROGRAM_ADMIN)
    assert sorted(m for c in again["consents"] for m in c["memberIds"]) == [
        "dr-first",
        "dr-second",
    ]


async def test_a_command_checked_behind_a_lock_is_answered_to_retry_unrecorded(api: Api) -> None:
    client_id = await enrolled(api)
    joined = await api.join_care_team(client_id, Role.NURSE)
    sent = {"input": {"clientId": client_id, "craving": 20}}
    # The nurse reads once the care team view holds them: a view still behind when the lock
    # is taken is answered "catching up", not timed out.
    await api.ok(CHECK_INS, {"id": client_id, "atLeast": joined}, role=Role.NURSE)

    async with locked(api, careteam.NAME):
        started = time.monotonic()
        body = await api.gql(CHECK_IN, sent, role=Role.NURSE)
        took = time.monotonic() - started

    assert timed_out(body), body
    assert took < ANSWERED_WITHIN, took
    again = await api.ok(CHECK_IN, sent, role=Role.NURSE)
    at = again["recordCheckIn"]["position"]
    found = await api.ok(CHECK_INS, {"id": client_id, "atLeast": at}, role=Role.NURSE)
    assert len(found["clientTimeline"]["edges"]) == 1  # the one sent again alone


ACCESS_LOG_READS = [
    ACCESS_LOG,
    "{ accessLogHead }",
    "{ accessLogAuditEvents(first: 5) }",
]


@pytest.mark.parametrize("query", ACCESS_LOG_READS, ids=["entries", "head", "audit-events"])
async def test_an_access_log_read_behind_a_lock_is_answered_to_retry(api: Api, query: str) -> None:
    """The auditor's pages of the access log read on the API's bound pool as every other
    read does: they waited on the unbound one for as long as the lock was held."""
    client_id = await enrolled(api)
    variables = {"id": client_id} if "$id" in query else {}
    async with await psycopg.AsyncConnection.connect(api.platform.database_url) as conn:
        await conn.execute("LOCK TABLE access_log IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        body = await api.gql(query, variables, role=Role.AUDITOR, user="auditor-1")
        took = time.monotonic() - started
        await conn.rollback()

    assert timed_out(body), body
    assert took < ANSWERED_WITHIN, took
    assert not (await api.gql(query, variables, role=Role.AUDITOR, user="auditor-1")).get("errors")


EXPORT = """query($id: UUID!, $to: DateTime) {
  exportClientRecord(clientId: $id, recordedTo: $to) { events } }"""


async def test_an_export_behind_a_writer_that_does_not_commit_is_answered_to_retry(
    api: Api,
) -> None:
    """An export of a period waits for every transaction storing events to end: behind one
    that never did (a process stopped holding the store's lock), it hung with its request."""
    client_id = await enrolled(api)
    recorder: Any = api.platform.store.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    asked = {"id": client_id, "to": ago(seconds=settling.SETTLE.total_seconds() + 5)}
    async with await psycopg.AsyncConnection.connect(api.platform.database_url) as conn:
        await conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
        started = time.monotonic()
        body = await api.gql(EXPORT, asked, role=Role.AUDITOR, user="auditor-1")
        took = time.monotonic() - started
        await conn.rollback()

    assert timed_out(body), body
    assert took < ANSWERED_WITHIN, took
    again = await api.ok(EXPORT, asked, role=Role.AUDITOR, user="auditor-1")
    assert again["exportClientRecord"]["events"] == 0  # the client was recorded since
