"""The consents view's expiry on an event (``expires_on``, ``ended_at``, version 2) on a
database an earlier release set up: the table, without the columns, gains them as the
projector sets up, and its rows read as expiring on no event until the rebuild ``VERSION``
starts derives theirs: a consent by date still reads expired once its date passed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from psycopg_pool import AsyncConnectionPool

from carecoord.projections import consents
from carecoord.projections.projector import Projector

EARLIER = [
    """CREATE TABLE consents_g1 (consent_id uuid PRIMARY KEY, position bigint NOT NULL,
    client_id uuid NOT NULL, member_ids text[] NOT NULL, organization_ids text[] NOT NULL,
    purpose text NOT NULL, data_kinds text[] NOT NULL, expires_at timestamptz,
    expiry_event text NOT NULL, signed_on date NOT NULL, recorded_at timestamptz NOT NULL,
    recorded_by text NOT NULL, revoked_at timestamptz, revoked_by text)""",
    "CREATE INDEX consents_g1_client ON consents_g1 (client_id)",
    "INSERT INTO consents_g1 VALUES (%(id)s, 1, %(client)s, '{dr-out}', '{}', 'treatment',"
    " '{care}', %(expired)s, '', %(day)s, %(at)s, 'admin-1', NULL, NULL)",
]


async def test_a_table_an_earlier_release_created_gains_the_expiry_columns(
    database: str,
) -> None:
    client, at = uuid4(), datetime.now(UTC)
    values = {
        "id": uuid4(), "client": client, "expired": at - timedelta(hours=1),
        "day": date(2026, 12, 1), "at": at - timedelta(days=2),
    }  # fmt: skip
    async with AsyncConnectionPool(database, open=False) as pool:
        async with pool.connection() as conn:
            for statement in EARLIER:
                await conn.execute(statement, values if "%(" in statement else None)
        projector = Projector(pool, [consents])
        await projector.setup()
        await projector.setup()  # a second start finds the columns there
        [row] = await consents.of_client(pool, client)

    assert (row["expires_on"], row["ended_at"], row["expired_by"]) == (None, None, "expires_at")
    assert row["expired_at"] == values["expired"]
