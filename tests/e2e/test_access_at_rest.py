"""Event bodies are encrypted at rest when CARECOORD_CIPHER_KEY is set."""

from __future__ import annotations

from pathlib import Path

import psycopg
from conftest import fresh_database, isolated_settings
from eventsourcing.cryptography import AESCipher

from carecoord.events import Actor, Role
from carecoord.events.care import ClientEnrolled
from carecoord.services.care.commands import enroll_client
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.runtime.bootstrap import Servers

MARKER = "Unmistakable Plaintext Name"
KEY = AESCipher.create_key(32)


def stored_bodies(servers: Servers, data_dir: Path, cipher_key: str | None) -> list[bytes]:
    with fresh_database(servers.database_url) as url:
        settings = isolated_settings(data_dir, database_url=url, cipher_key=cipher_key)
        store = EventStore(env=store_env(settings))
        bus = CommandBus(store)
        try:
            admin = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
            bus.execute_sync(enroll_client(admin, display_name=MARKER, program="OTP"))
            (read,) = store.read(0, 10)
            assert isinstance(read.event, ClientEnrolled)
            assert read.event.display_name == MARKER
        finally:
            bus.close()
            store.close()
        with psycopg.connect(url) as conn:
            return [bytes(row[0]) for row in conn.execute("SELECT state FROM carecoord_events")]


def test_without_a_key_bodies_are_plaintext(servers: Servers, data_dir: Path) -> None:
    (body,) = stored_bodies(servers, data_dir, None)
    assert MARKER.encode() in body


def test_with_a_key_stored_bytes_are_not_plaintext(servers: Servers, data_dir: Path) -> None:
    (body,) = stored_bodies(servers, data_dir, KEY)
    assert MARKER.encode() not in body
    assert b"display_name" not in body
