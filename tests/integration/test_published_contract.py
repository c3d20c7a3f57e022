"""What the relay publishes, read back from the stream as another service reads it, is what
events/asyncapi.json says, checked by an independent JSON Schema validator: each message on
its channel's subject, with the contract's headers and no other (``Nats-Expected-Stream``,
which every message carries, was not among them; none names the client or says what a note
did: brokers and their logs see headers and subjects without reading a body), and a body
valid against its type's schema at the version the contract names. The unit test of the
contract checks the file against the catalog; this checks the wire against the file."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from test_downstream_census import change_level, enroll, relayed

from carecoord.events import Actor, Role, contract
from carecoord.events.care import LevelOfCare
from carecoord.services.careteam.commands import assign_member
from carecoord.services.checkins.commands import record_check_in
from carecoord.services.checkins.record import CheckIn
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.platform import Platform

CONTRACT: dict[str, Any] = json.loads((contract.HERE / "asyncapi.json").read_text())
ROOT = "urn:carecoord:asyncapi"
ADMIN = Stamp(Actor(id="admin-1", role=Role.PROGRAM_ADMIN))
NURSE = Stamp(Actor(id="nurse-1", role=Role.NURSE))
NAME, NOTE = "Contract Q. Client", "told the nurse about the relapse at the party"


def validator(pointer: str) -> Draft202012Validator:
    """The schema at ``pointer`` in the contract, its ``$ref``s resolved there, and ids
    checked as the uuids it says they are."""
    registry: Registry[Any] = Registry().with_resource(ROOT, DRAFT202012.create_resource(CONTRACT))
    schema = {"$ref": f"{ROOT}#{pointer}"}
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


async def recorded(platform: Platform) -> int:
    """A client's first events, a few types across contexts, with clinical text: the last
    position."""
    client, _ = await enroll(platform, NAME)
    await platform.bus.execute(
        assign_member(ADMIN, client_id=client, member_id="nurse-1", role=Role.NURSE)
    )
    await change_level(platform, client, LevelOfCare.OUTPATIENT)
    check_in = CheckIn(craving=9, sleep_hours=Decimal("5.5"), substance_use=True, note=NOTE)
    command = record_check_in(
        NURSE, client_id=client, check_in=check_in, rules=platform.alert_rules
    )
    return (await platform.bus.execute(command)).position


async def test_every_published_message_is_as_the_contract_says(platform: Platform) -> None:
    last = await recorded(platform)
    await relayed(platform, last)
    settings = platform.settings
    js = platform.broker.connection.jetstream()
    held = (await js.stream_info(settings.stream_name)).state.messages
    messages = [await js.get_msg(settings.stream_name, seq) for seq in range(1, held + 1)]
    header_names = set(CONTRACT["components"]["schemas"]["CarecoordHeaders"]["properties"])

    types: set[str] = set()
    for message in messages:
        sent, subject = dict(message.headers or {}), message.subject or ""
        name = sent["Carecoord-Type"]
        types.add(name)
        body = json.loads(message.data or b"")
        message_spec = f"/components/messages/{name}:Message"
        spec = CONTRACT["components"]["messages"][f"{name}:Message"]
        channel = CONTRACT["channels"][name]["address"].removeprefix("care.")
        assert subject == f"{settings.subject_root}." + channel.replace(
            "{client_id}", body["client_id"]
        )
        assert set(sent) == header_names - {"traceparent"}, sent  # tracing is off here
        assert sent["Nats-Expected-Stream"] == settings.stream_name
        validator(f"{message_spec}/headers").validate(sent)
        validator(f"{message_spec}/payload").validate(body)
        assert body["schema_version"] == spec["x-schema-version"]
        assert body["event_id"] == sent["Nats-Msg-Id"]
        assert body["correlation_id"] == sent["correlation_id"]
        said = " ".join((subject, *sent.values()))
        assert NAME not in said
        assert "relapse" not in said

    assert int((messages[-1].headers or {})["Carecoord-Position"]) == last
    assert {
        "care.ClientEnrolled",
        "careteam.CareTeamMemberAssigned",
        "care.LevelOfCareChanged",
        "checkins.CheckInRecorded",
        "alerts.AlertRaised",
    } <= types
