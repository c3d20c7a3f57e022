"""A service that follows docs/events.md runs, in a deployment, under a NATS user of its own,
pinned as deploy/nats.conf pins ``subscriber``: its one consumer by name and filter subject,
its replies under an inbox prefix of its own. The census example took every reply on
``_INBOX.``, which such a user may not subscribe to: its first pull was a permissions
violation, the broker closed its connection, and it applied nothing."""

from __future__ import annotations

from pathlib import Path

from conftest import fresh_database, isolated_settings
from restartable_nats import RestartableNats
from test_downstream_census import enroll, until

from carecoord.examples.census import DURABLE, Census, Service
from carecoord.services.runtime.bootstrap import Servers, running

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nats.conf"
PASSWORDS = {
    "NATS_PASSWORD": "carecoord-pw",
    "NATS_RELAY_PASSWORD": "relay-pw",
    "NATS_DISCLOSURE_PASSWORD": "disclosure-pw",
    "NATS_SUBSCRIBER_PASSWORD": "sub-pw",
    "NATS_CLINIC_NORTH_PASSWORD": "north-pw",
    "NATS_JETSTREAM_KEY": "jetstream-key",
}
INBOX = "_INBOX_census"
CENSUS_USER = f"""    {{
      user: census
      password: census-pw
      permissions: {{
        publish: {{
          allow: [
            "$JS.API.INFO",
            "$JS.API.STREAM.INFO.CARE",
            "$JS.API.CONSUMER.CREATE.CARE.{DURABLE}.care.care.>",
            "$JS.API.CONSUMER.INFO.CARE.{DURABLE}",
            "$JS.API.CONSUMER.MSG.NEXT.CARE.{DURABLE}",
            "$JS.ACK.CARE.{DURABLE}.>",
          ]
        }}
        subscribe: {{ allow: ["{INBOX}.>"] }}
      }}
    }}
"""
"""The census as docs/events.md ("In a deployment") says to pin a service's user."""


async def test_the_census_runs_under_a_user_pinned_to_its_consumer(
    servers: Servers, data_dir: Path, tmp_path: Path
) -> None:
    conf = tmp_path / "nats.conf"
    recipient = "    {\n      user: clinic_north"
    conf.write_text(CONF.read_text().replace(recipient, CENSUS_USER + recipient))
    broker = RestartableNats(tmp_path, conf=conf, env=PASSWORDS)
    broker.start()
    own = f"nats://relay:relay-pw@127.0.0.1:{broker.port}"
    pinned = f"nats://census:census-pw@127.0.0.1:{broker.port}"
    settings = isolated_settings(data_dir, stream_name="CARE", subject_root="care")
    try:
        # as ``started``, but the stream is not deleted after: the relay's user may not,
        # and the test's server goes with it
        with fresh_database(servers.database_url) as url:
            async with running(settings, Servers(url, own)) as platform:
                client, position = await enroll(platform, "Alex R.")
                census = Census()
                service = Service(pinned, census, inbox_prefix=INBOX)
                await service.start()
                try:
                    await until(lambda: census.position >= position)
                finally:
                    await service.stop()
    finally:
        broker.kill()

    assert sum(census.by_level().values()) == 1
    assert [event.client_id for _, event in census.applied] == [client]
