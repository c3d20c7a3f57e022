"""The event store's hash chain: every stored event is linked to the one before it.

PostgreSQL keeps the chain itself, so no writer can skip it: a ``BEFORE INSERT`` row
trigger on the events table sets each new row's ``prev_hash`` to the ``hash`` of the row
with the greatest ``notification_id`` (32 zero bytes for the first row) and its ``hash`` to
``link(prev_hash, row)``. Other triggers refuse ``UPDATE``, ``DELETE`` and ``TRUNCATE``.

The link (chain ``event-sha256-v1``; ``link`` below and the SQL function agree, a test
holds them to it) is SHA-256 over the concatenation of

    prev_hash                      32 bytes
    notification_id                8 bytes, big-endian two's complement (int8send)
    originator_id                  16 bytes (uuid_send)
    originator_version             8 bytes, big-endian (int8send)
    topic                          4-byte big-endian length, then its UTF-8 bytes
    state                          4-byte big-endian length, then the bytes as stored

where a NULL topic or state is the length -1 with no bytes. The state is the stored body
(sealed when a cipher key is set), so the chain verifies without the key.

Ordering. The library inserts under ``LOCK TABLE ... IN EXCLUSIVE MODE`` and numbers rows
from a sequence while it holds the lock, so numbering, chaining and commit follow one
order. The trigger also takes a transaction-level advisory lock and refuses a row whose
number is not above the head's, so a writer that skipped the table lock fails instead of
forking the chain; and it refuses to run outside READ COMMITTED, where its head query could
not see a row committed while it waited. A row trigger's queries see the rows inserted
earlier by the same statement when the function is VOLATILE (PostgreSQL, "Visibility of
Data Changes"), so the events of one save chain one after the other.

Rows stored before the chain existed are chained once, in ``notification_id`` order, by
the startup that adds the columns (in the same transaction, under the table lock): that
attests they have not changed since the upgrade, not before it.
"""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID

import psycopg
from psycopg import AsyncConnection, sql

from carecoord.services.infrastructure.positions import SCHEMA_LOCK

CHAIN = "event-sha256-v1"
GENESIS = bytes(32)
TABLE = "carecoord_events"
"""The library's events table for the ``carecoord`` application (``<name>_events``)."""

_INT8 = struct.Struct(">q")
_INT4 = struct.Struct(">i")
_NULL = _INT4.pack(-1)


def link(
    prev_hash: bytes,
    position: int,
    originator_id: UUID,
    version: int,
    topic: str | None,
    state: bytes | None,
) -> bytes:
    """The hash of a row, given its predecessor's hash (the construction above)."""
    topic_bytes = None if topic is None else topic.encode()
    parts = [prev_hash, _INT8.pack(position), originator_id.bytes, _INT8.pack(version)]
    for part in (topic_bytes, state):
        parts.extend((_NULL,) if part is None else (_INT4.pack(len(part)), part))
    return hashlib.sha256(b"".join(parts)).digest()


def _names(table: str) -> dict[str, sql.Composable]:
    return {
        "table": sql.Identifier(table),
        "link": sql.Identifier(f"{table}_link"),
        "chain": sql.Identifier(f"{table}_chain"),
        "refuse": sql.Identifier(f"{table}_append_only"),
        "no_change": sql.Identifier(f"{table}_no_change"),
    }


_LINK = """
CREATE OR REPLACE FUNCTION {link}(
    prev bytea, at bigint, originator uuid, ver bigint, topic text, state bytea)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(prev || int8send(at) || uuid_send(originator) || int8send(ver)
    || CASE WHEN topic IS NULL THEN int4send(-1)
       ELSE int4send(octet_length(convert_to(topic, 'UTF8'))) || convert_to(topic, 'UTF8') END
    || CASE WHEN state IS NULL THEN int4send(-1)
       ELSE int4send(octet_length(state)) || state END)
$$"""

_CHAIN = """
CREATE OR REPLACE FUNCTION {chain}() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  head_position bigint;
  head_hash bytea;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION '% takes events in READ COMMITTED transactions only (the hash chain '
      'must see the last committed event)', TG_TABLE_NAME;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext(TG_TABLE_NAME || '.chain'));
  SELECT notification_id, hash INTO head_position, head_hash
    FROM {table} ORDER BY notification_id DESC LIMIT 1;
  IF head_position >= NEW.notification_id THEN
    RAISE EXCEPTION '% event % would follow event % in the hash chain: insert events '
      'under the table lock, in notification order', TG_TABLE_NAME, NEW.notification_id,
      head_position;
  END IF;
  NEW.prev_hash := coalesce(head_hash, '\\x{genesis}'::bytea);
  NEW.hash := {link}(NEW.prev_hash, NEW.notification_id, NEW.originator_id,
    NEW.originator_version, NEW.topic, NEW.state);
  RETURN NEW;
END $$"""

_REFUSE = """
CREATE OR REPLACE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused (a correction is a new event)',
    TG_TABLE_NAME, TG_OP;
END $$"""

_TRIGGERS = (
    "CREATE OR REPLACE TRIGGER {chain} BEFORE INSERT ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION {chain}()",
    "CREATE OR REPLACE TRIGGER {no_change} BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION {refuse}()",
)

# The first start with the chain adds the columns and chains the rows stored so far, in
# notification order, under a lock that keeps writers out until the schema transaction
# commits, and before the refusing trigger exists. Afterwards a row without a hash is never
# filled in: that would launder a row inserted with the triggers off.
_FIRST_TIME = """
DO $$
DECLARE
  r record;
  prev bytea := '\\x{genesis}'::bytea;
  next_hash bytea;
  chained bigint := 0;
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
             AND table_name = {table_name} AND column_name = 'hash') THEN
    RETURN;
  END IF;
  LOCK TABLE {table} IN EXCLUSIVE MODE;
  ALTER TABLE {table} ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;
  FOR r IN SELECT notification_id, originator_id, originator_version, topic, state
           FROM {table} ORDER BY notification_id LOOP
    next_hash := {link}(prev, r.notification_id, r.originator_id, r.originator_version,
      r.topic, r.state);
    UPDATE {table} SET prev_hash = prev, hash = next_hash
      WHERE notification_id = r.notification_id;
    prev := next_hash;
    chained := chained + 1;
  END LOOP;
  RAISE NOTICE '% hash chain started: % stored events chained', {table_name}, chained;
END $$"""


def _statement(template: str, table: str) -> str:
    names = {**_names(table), "table_name": sql.Literal(table)}
    return sql.SQL(template.replace("{genesis}", GENESIS.hex())).format(**names).as_string()


def statements(table: str = TABLE) -> tuple[str, ...]:
    """What installs the chain (idempotent; ``install`` runs it under the schema lock)."""
    return tuple(_statement(t, table) for t in (_LINK, _FIRST_TIME, _CHAIN, _REFUSE, *_TRIGGERS))


def install(conn: psycopg.Connection, table: str = TABLE) -> None:
    """Install (or confirm) the chain, under the schema lock; every ``EventStore`` does
    this as it opens, before its process reads the events table."""
    with conn.transaction():
        conn.execute(SCHEMA_LOCK)
        for statement in statements(table):
            conn.execute(statement)


_HEAD = "SELECT notification_id, hash FROM {table} ORDER BY notification_id DESC LIMIT 1"


async def head(conn: AsyncConnection, table: str = TABLE) -> tuple[int, bytes] | None:
    """The newest event's position and hash (None for an empty store or an unchained row)."""
    row = await (await conn.execute(_statement(_HEAD, table))).fetchone()
    if row is None or row[1] is None:
        return None
    return int(row[0]), bytes(row[1])
