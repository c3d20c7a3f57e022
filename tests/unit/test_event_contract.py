"""The checked-in event contract (events/asyncapi.json, events/schemas/) is what the catalog
builds, a changed event fails the check naming the command that regenerates it, and a new
schema version keeps the old one's file."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import pytest

from carecoord.events import Actor, ClientEnrolled, Role, catalog, contract, headers
from carecoord.events.care import LevelOfCare, LevelOfCareChanged
from carecoord.events.envelope import CareEvent, type_name


class ClientEnrolledWithReferral(ClientEnrolled):
    """``care.ClientEnrolled`` as someone might change it in place: a new required field."""

    referral: str


ClientEnrolledWithReferral.__name__ = "ClientEnrolled"  # the same catalog name


class ClientEnrolledV2(ClientEnrolled):
    """``care.ClientEnrolled`` as it should change: a new version (with an upcaster)."""

    version: ClassVar[int] = 2
    referral: str


ClientEnrolledV2.__name__ = "ClientEnrolled"


def catalog_with(changed: type[CareEvent]) -> list[type[CareEvent]]:
    name = type_name(changed)
    return [cls for cls in catalog.event_types() if type_name(cls) != name] + [changed]


def test_the_checked_in_contract_is_what_the_catalog_builds() -> None:
    problems = contract.differences(contract.documents())
    assert not problems, (
        f"the event contract in events/ is out of date; regenerate it with: "
        f"{contract.REGENERATE}\n" + "\n".join(problems)
    )


def with_history(folder: Path) -> Path:
    """``folder`` holding the checked-in schema files of versions older than the catalog's
    (a type's history, which no model builds any more), as a checkout does."""
    (folder / "schemas").mkdir()
    for cls in catalog.event_types():
        for older in range(1, cls.version):
            name = f"{type_name(cls)}.v{older}.json"
            shutil.copy(contract.HERE / "schemas" / name, folder / "schemas" / name)
    return folder


def test_a_changed_event_model_fails_the_check_naming_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_history(tmp_path)
    assert contract.export(tmp_path, check=True) == 1  # nothing written yet
    assert contract.export(tmp_path) == 0
    assert contract.export(tmp_path, check=True) == 0
    capsys.readouterr()

    changed = catalog_with(ClientEnrolledWithReferral)
    assert contract.export(tmp_path, check=True, types=changed) == 1

    out = capsys.readouterr().out
    assert contract.REGENERATE in out
    assert "schemas/care.ClientEnrolled.v1.json differs from the code" in out
    assert "looks breaking; newly required: referral" in out
    assert "asyncapi.json differs from the code" in out


def test_a_new_version_gets_its_own_file_and_the_old_one_stays(tmp_path: Path) -> None:
    with_history(tmp_path)
    assert contract.export(tmp_path) == 0
    v1 = tmp_path / "schemas" / "care.ClientEnrolled.v1.json"
    before = v1.read_text(encoding="utf-8")
    changed = catalog_with(ClientEnrolledV2)

    assert contract.differences(contract.documents(changed), tmp_path) == [
        "asyncapi.json differs from the code",
        "schemas/care.ClientEnrolled.v2.json is missing",
    ]
    assert contract.export(tmp_path, types=changed) == 0
    assert v1.read_text(encoding="utf-8") == before
    v2 = json.loads((tmp_path / "schemas" / "care.ClientEnrolled.v2.json").read_text())
    assert v2["properties"]["schema_version"]["const"] == 2
    assert "referral" in v2["required"]

    v1.unlink()
    assert contract.differences(contract.documents(changed), tmp_path) == [
        "schemas/care.ClientEnrolled.v1.json is missing: older payloads are still in the "
        "stream; restore it from version control"
    ]


def test_a_schema_file_of_no_catalog_type_is_reported(tmp_path: Path) -> None:
    with_history(tmp_path)
    assert contract.export(tmp_path) == 0
    shutil.copy(
        tmp_path / "schemas" / "care.ClientEnrolled.v1.json",
        tmp_path / "schemas" / "care.ClientAdmitted.v1.json",
    )
    (problem,) = contract.differences(contract.documents(), tmp_path)
    assert problem.startswith("schemas/care.ClientAdmitted.v1.json names no event type")


def test_one_channel_per_event_type_at_the_subject_the_relay_publishes_on() -> None:
    document = contract.asyncapi(catalog.event_types())
    assert document["asyncapi"] == "3.0.0"
    names = sorted(type_name(cls) for cls in catalog.event_types())
    assert sorted(document["channels"]) == names
    client_id = uuid4()
    for cls in catalog.event_types():
        name = type_name(cls)
        channel = document["channels"][name]
        event = cls.model_construct(**(envelope() | {"client_id": client_id}))
        assert catalog.subject(contract.ROOT, event) == channel["address"].format(
            client_id=client_id
        )
        operation = document["operations"][name]
        assert operation["action"] == "send"
        message = resolve(document, channel["messages"]["Message"]["$ref"])
        assert message["name"] == name
        assert message["payload"] == {"$ref": f"#/components/schemas/{cls.__name__}"}
        assert message["x-schema-version"] == cls.version
        fixed_type = message["headers"]["allOf"][1]["properties"][headers.TYPE]
        assert fixed_type == {"const": name}
    header_schema = document["components"]["schemas"]["CarecoordHeaders"]
    published = headers.for_event(enrolled(), 7)
    assert sorted(header_schema["required"]) == sorted(published)


def test_the_checked_in_channels_are_the_published_types_alone() -> None:
    """An access-log entry is kept in the access log, never relayed: the document listed a
    channel for it that no message ever came on."""
    document = json.loads((contract.HERE / contract.ASYNCAPI).read_text())
    published = sorted(type_name(cls) for cls in catalog.event_types() if cls.published)
    assert sorted(document["channels"]) == published
    assert "audit.ClientRecordRead" not in document["channels"]
    assert (contract.HERE / "schemas" / "audit.ClientRecordRead.v1.json").exists()


def test_every_reference_in_the_asyncapi_document_resolves() -> None:
    document = contract.asyncapi(catalog.event_types())
    references = list(refs(document))
    assert len(references) > 100
    for reference in references:
        resolve(document, reference)


def test_a_published_body_is_what_its_schema_describes() -> None:
    for event in (enrolled(), level_changed()):
        body = json.loads(catalog.encode(event))
        schema = contract.json_schema(type(event))
        assert set(schema["required"]) <= set(body) <= set(schema["properties"])
        assert body["type"] == schema["properties"]["type"]["const"]
        assert body["schema_version"] == schema["properties"]["schema_version"]["const"]


def test_the_position_header_tells_a_late_event_from_a_repeat() -> None:
    """A subscriber generating its handling from the contract read that positions only ever
    rise and skipped any not above its last: a late event (set aside, published again) was
    dropped for good."""
    document = contract.asyncapi(catalog.event_types())
    meaning = document["components"]["schemas"]["CarecoordHeaders"]["properties"][headers.POSITION][
        "description"
    ]
    assert "strictly" not in meaning
    assert "late event" in meaning
    assert "unique key" in meaning


def enrolled() -> ClientEnrolled:
    return ClientEnrolled(**envelope(), display_name="Alex R.", program="OTP")


def level_changed() -> LevelOfCareChanged:
    return LevelOfCareChanged(**envelope(), level=LevelOfCare.RESIDENTIAL, asam_level="3.7")


def envelope() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "event_id": uuid4(),
        "client_id": uuid4(),
        "occurred_at": now,
        "recorded_at": now,
        "actor": Actor(id="admin-1", role=Role.PROGRAM_ADMIN),
        "correlation_id": uuid4(),
    }


def refs(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict[str, Any], reference: str) -> Any:
    assert reference.startswith("#/"), reference
    node: Any = document
    for part in reference[2:].split("/"):
        assert part in node, f"{reference} does not resolve"
        node = node[part]
    return node
