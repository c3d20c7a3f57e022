"""The event contract as documents other teams build against, generated from the catalog.

- ``asyncapi.json``: AsyncAPI 3.0 for the ``care.>`` subject space, built by FastStream
  from one publisher per event type (the relay's side: carecoord sends, others receive):
  a channel ``care.<context>.<Type>.{client_id}`` and one message each, with the headers
  the relay sets (``headers.py``) and the event model as payload.
- ``schemas/<context>.<Type>.v<N>.json``: a JSON Schema (draft 2020-12) per event type and
  schema version. Files of older versions stay as they were: the stream and the store still
  hold payloads of those versions, which ``catalog.decode`` upcasts.

Both describe the payload as it travels (pydantic's serialization schema: decimals as
strings, with ``type`` and ``schema_version``), not as the model accepts input, which is
what FastStream alone would document. ``tests/unit/test_event_contract.py`` fails when a
model no longer matches its file; regenerate with ``REGENERATE``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI

from carecoord.events import catalog, headers
from carecoord.events.envelope import CareEvent, type_name

ROOT = "care"
"""The subject root the documents describe (``CARECOORD_SUBJECT_ROOT``, by default ``care``)."""
STREAM = "CARE"
HERE = Path(__file__).resolve().parent  # the source tree: the editable install links back
ASYNCAPI = "asyncapi.json"
SCHEMAS = "schemas"
REGENERATE = "python -m carecoord.events.contract"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
_SCHEMA_FILE = re.compile(r"^(?P<name>[a-z_]+\.[A-Za-z0-9]+)\.v(?P<version>[0-9]+)\.json$")
_HEADERS_SCHEMA = "CarecoordHeaders"

Documents = dict[str, str]
"""File path relative to the events folder → its text."""


def schema_file(cls: type[CareEvent]) -> str:
    return f"{SCHEMAS}/{type_name(cls)}.v{cls.version}.json"


def payload_schema(cls: type[CareEvent], ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """The JSON Schema of ``cls`` as it is published: its type and version as constants."""
    schema = cls.model_json_schema(mode="serialization", ref_template=ref_template)
    properties = schema["properties"]
    properties["type"] = {
        "const": type_name(cls),
        "description": "The catalog name, as in the subject and the Carecoord-Type header.",
        "readOnly": True,
        "title": "Type",
        "type": "string",
    }
    properties["schema_version"] = {
        "const": cls.version,
        "description": "The version of this payload's schema; older ones are upcast.",
        "readOnly": True,
        "title": "Schema Version",
        "type": "integer",
    }
    return schema


def json_schema(cls: type[CareEvent]) -> dict[str, Any]:
    """The standalone JSON Schema file of ``cls`` at its current version."""
    return {"$schema": DRAFT, "$id": Path(schema_file(cls)).name, **payload_schema(cls)}


def headers_schema() -> dict[str, Any]:
    formats: dict[str, dict[str, Any]] = {
        headers.MSG_ID: {"type": "string", "format": "uuid"},
        headers.POSITION: {"type": "string", "pattern": "^[1-9][0-9]*$"},
        headers.TYPE: {"type": "string"},
        headers.CONTENT_TYPE: {"const": headers.JSON},
        headers.CORRELATION: {"type": "string", "format": "uuid"},
    }
    set_as_published = {
        headers.EXPECTED_STREAM: {"type": "string"},
        headers.TRACEPARENT: {
            "type": "string",
            "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        },
    }
    return {
        "type": "object",
        "description": "Set by the relay on every message (carecoord.events.headers).",
        "properties": {
            name: {**shape, "description": headers.MEANING[name]}
            for name, shape in (formats | set_as_published).items()
        },
        "required": list(formats),
    }


DESCRIPTION = f"""\
Every fact carecoord records, published once on NATS JetStream in the order it was recorded.
One stream (`{STREAM}`) holds the subject space `{ROOT}.>`; an event's subject is
`{ROOT}.<context>.<Type>.<client-id>`, so a subscriber filters by context, type or client
(`{ROOT}.medication.>`, `{ROOT}.*.*.<client-id>`). The body is the event's JSON; the headers
give its id (`{headers.MSG_ID}`), its position in the store's log (`{headers.POSITION}`) and
its type (`{headers.TYPE}`). A payload carries `type` and `schema_version`: replay from the
stream's first message may meet older versions, which `carecoord.events.catalog.decode`
upcasts. How to subscribe, and how versions evolve: docs/events.md."""


def asyncapi(types: Iterable[type[CareEvent]]) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the subject space, for ``types``."""
    by_name = dict(sorted((type_name(cls), cls) for cls in types))
    broker = NatsBroker(
        "nats://localhost:4222",
        protocol_version=None,
        description=f"The platform's NATS server (NATS_URL); the stream {STREAM} holds "
        f"{ROOT}.> and drops a repeated {headers.MSG_ID} inside its duplicate window.",
    )
    for name, cls in by_name.items():
        broker.publisher(
            f"{ROOT}.{name}.{{client_id}}",
            schema=cls,
            title=name,
            description=_doc(cls),
        )
    spec = AsyncAPI(
        broker,
        title="carecoord care events",
        version=_release(),
        description=DESCRIPTION,
        schema_version="3.0.0",
    ).to_specification()
    document: dict[str, Any] = spec.to_jsonable()
    _document_wire_format(document, by_name)
    return document


def _document_wire_format(document: dict[str, Any], by_name: Mapping[str, type[CareEvent]]) -> None:
    """What FastStream leaves out: headers, the subject's parameter, the payload as sent."""
    components = document["components"]
    # FastStream keeps its publishers in no fixed order: sort, so the file only changes
    # when the contract does.
    for table, key in ((document, "channels"), (document, "operations"), (components, "messages")):
        table[key] = dict(sorted(table[key].items()))
    schemas: dict[str, Any] = {_HEADERS_SCHEMA: headers_schema()}
    for name, cls in by_name.items():
        payload = payload_schema(cls, ref_template="#/components/schemas/{model}")
        for key, value in {cls.__name__: payload, **payload.pop("$defs", {})}.items():
            if schemas.get(key, value) != value:
                raise ValueError(f"two schemas are named {key} (one in {name}); rename one")
            schemas[key] = value
    components["schemas"] = schemas
    for name, cls in by_name.items():
        channel = document["channels"][name]
        channel["parameters"] = {
            "client_id": {"description": f"{cls.about}: the payload's client_id."}
        }
        (reference,) = channel["messages"].values()
        message = components["messages"][reference["$ref"].rsplit("/", 1)[1]]
        assert message["payload"] == {"$ref": f"#/components/schemas/{cls.__name__}"}
        doc = _doc(cls)
        if doc:
            message["summary"] = doc.split("\n\n")[0].replace("\n", " ")
        message.update(
            name=name,
            contentType=headers.JSON,
            correlationId={
                "description": "Shared by every event one request caused.",
                "location": "$message.payload#/correlation_id",
            },
            headers={
                "allOf": [
                    {"$ref": f"#/components/schemas/{_HEADERS_SCHEMA}"},
                    {"properties": {headers.TYPE: {"const": name}}},
                ]
            },
        )
        message["x-schema-version"] = cls.version


def _doc(cls: type[CareEvent]) -> str | None:
    """The class's own docstring (not one it inherits), as pydantic's schema has it."""
    return inspect.cleandoc(cls.__doc__) if cls.__doc__ else None


def _release() -> str:
    try:
        return version("carecoord")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree, not installed
        return "0"


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def documents(types: Iterable[type[CareEvent]] | None = None) -> Documents:
    """Every generated file, for ``types`` (by default the whole catalog)."""
    chosen = sorted(catalog.event_types() if types is None else types, key=type_name)
    built = {ASYNCAPI: render(asyncapi(cls for cls in chosen if cls.published))}
    built.update({schema_file(cls): render(json_schema(cls)) for cls in chosen})
    return built


def differences(built: Documents, directory: Path = HERE) -> list[str]:
    """How the files under ``directory`` fall short of ``built``, one line each; [] if not.

    A schema file of an older version than its type's is history, kept as it is; one whose
    type the catalog does not hold, or an older version that is missing, is reported.
    """
    problems = []
    for path, text in built.items():
        target = directory / path
        if not target.exists():
            problems.append(f"{path} is missing")
            continue
        stored = target.read_text(encoding="utf-8")
        if stored != text:
            problems.append(f"{path} differs from the code" + _breaking(stored, text))
    current = {
        found["name"]: int(found["version"])
        for path in built
        if (found := _SCHEMA_FILE.match(Path(path).name))
    }
    held = {
        (found["name"], int(found["version"]))
        for file in (directory / SCHEMAS).glob("*.json")
        if (found := _SCHEMA_FILE.match(file.name))
    }
    for name, latest in sorted(current.items()):
        for older in range(1, latest):
            if (name, older) not in held:
                problems.append(
                    f"{SCHEMAS}/{name}.v{older}.json is missing: older payloads are still "
                    "in the stream; restore it from version control"
                )
    for name, held_version in sorted(held):
        if name not in current or held_version > current[name]:
            problems.append(
                f"{SCHEMAS}/{name}.v{held_version}.json names no event type and version "
                "in the catalog (events are never renamed or removed: see docs/events.md)"
            )
    return problems


def _breaking(stored: str, built: str) -> str:
    """A warning when a schema changed in place in a way old payloads or readers notice."""
    try:
        old, new = json.loads(stored), json.loads(built)
    except json.JSONDecodeError:
        return ""
    old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
    if not old_fields or not new_fields:
        return ""
    removed = sorted(set(old_fields) - set(new_fields))
    required = sorted(set(new.get("required", ())) - set(old.get("required", ())))
    retyped = sorted(
        field
        for field in set(old_fields) & set(new_fields)
        if _shape(old_fields[field]) != _shape(new_fields[field])
    )
    kinds = (("removed", removed), ("newly required", required), ("retyped", retyped))
    found = [f"{what}: {', '.join(fields)}" for what, fields in kinds if fields]
    if not found:
        return ""
    return (
        f" (looks breaking; {'; '.join(found)}: keep the fields, or raise the model's "
        "version and register an upcaster in catalog.py)"
    )


def _shape(schema: Mapping[str, Any]) -> Any:
    kept = {k: v for k, v in schema.items() if k in {"type", "$ref", "format", "anyOf", "items"}}
    return json.dumps(kept, sort_keys=True)


def write(built: Documents, directory: Path = HERE) -> list[str]:
    """Write the files of ``built`` that differ; return their paths."""
    changed = []
    for path, text in built.items():
        target = directory / path
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        changed.append(path)
    return changed


def export(
    directory: Path = HERE,
    *,
    check: bool = False,
    types: Iterable[type[CareEvent]] | None = None,
) -> int:
    """Write (or with ``check`` only compare) the contract files of ``types`` (by default
    the catalog's) under ``directory``; the exit status: 1 when they are out of date."""
    built = documents(types)
    problems = differences(built, directory)
    if check:
        if problems:
            print(f"the event contract is out of date; regenerate it with: {REGENERATE}")
        for problem in problems:
            print(f"  {problem}")
        return 1 if problems else 0
    for problem in problems:
        if "looks breaking" in problem or "names no event type" in problem:
            print(f"warning: {problem}", file=sys.stderr)
    for path in write(built, directory):
        print(f"wrote {directory / path}")
    remaining = differences(built, directory)
    for problem in remaining:
        print(problem, file=sys.stderr)
    return 1 if remaining else 0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog=REGENERATE,
        description="write the event contract: events/asyncapi.json and events/schemas/",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    parser.add_argument(
        "--directory", type=Path, default=HERE, help="another events folder (default: this one)"
    )
    args = parser.parse_args(argv)
    sys.exit(export(args.directory, check=args.check))


if __name__ == "__main__":
    main()
