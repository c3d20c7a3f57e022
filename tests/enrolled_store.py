"""A fresh database holding a chained store of a few enrolments: what the audit CLI's tests
tamper with and verify."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

from conftest import fresh_database, isolated_settings

from carecoord.events import Actor, Role
from carecoord.services.care.record import ClientRecord
from carecoord.services.infrastructure.commands import CommandBus
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import UnitOfWork
from carecoord.services.runtime.bootstrap import Servers

ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))


def _enroll(uow: UnitOfWork) -> None:
    uow.get(ClientRecord, uuid.uuid4()).enroll(
        ADMIN, display_name="Chained T.", program="OTP", occurred_at=None
    )


@contextlib.contextmanager
def enrolled_store(servers: Servers, data_dir: Path, events: int) -> Iterator[str]:
    """The URL of a fresh database whose store holds ``events`` enrolments, each recorded
    through the command bus, so chained as the platform chains them."""
    with fresh_database(servers.database_url) as url:
        store = EventStore(env=store_env(isolated_settings(data_dir, database_url=url)))
        bus = CommandBus(store)
        try:
            for _ in range(events):
                bus.execute_sync(_enroll)
            yield url
        finally:
            bus.close()
            store.close()
