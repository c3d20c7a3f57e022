"""What every FHIR mapping shares: the resources one client's events build, references,
codes, and the Bundle that carries them.

Resources are plain JSON dicts shaped after FHIR R4 (https://hl7.org/fhir/R4/). A resource
is made by the event that starts it and changed by later ones (an order held, then
discontinued); ``meta.versionId`` counts the events that shaped it, ``meta.lastUpdated`` is
when the newest was recorded and ``meta.source`` names it, so every resource leads back to
the log.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any, get_args, get_type_hints
from uuid import NAMESPACE_URL, UUID, uuid5

from carecoord.events import Actor, CareEvent
from carecoord.services.infrastructure.audit_events import USER
from carecoord.services.kernel.program_day import program_day

BASE = "https://carecoord.dev/fhir"
"""Where resource URLs are rooted: a Bundle entry's ``fullUrl`` is ``<BASE>/<type>/<id>``."""
KIND = f"{BASE}/CodeSystem/kind"
RULE = f"{BASE}/CodeSystem/rule"
"""A clinical or safety rule of carecoord, by id; the Coding's ``version`` is the rule's."""
EVENT = f"{BASE}/NamingSystem/event"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
PART_2_LABELS = (
    {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"},
    {"system": ACT_CODE, "code": "ETH", "display": "substance abuse information sensitivity"},
    {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
    {
        "system": ACT_CODE,
        "code": "NORDSCLCD",
        "display": "no redisclosure without consent directive",
    },
)
"""The labels every exported Bundle carries: a Part 2 program's record is restricted
substance-use information that 42 CFR Part 2 forbids disclosing further without consent,
wherever the file goes once written."""
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"

_IDS = uuid5(NAMESPACE_URL, f"{BASE}/derived-ids")

Resource = dict[str, Any]


class Resources:
    """The resources one client's events built, in the order they were first made.

    ``zone`` is the program's time zone (``program_time_zone``): a FHIR ``date`` made from a
    moment (a goal's ``startDate``) is the program's day of it, as the people who recorded it
    count days, not UTC's. ``withheld`` names, by event id, the free text holding words that
    the export withholds from its reader (emptied in the events it folds)."""

    def __init__(
        self, zone: tzinfo = UTC, withheld: Mapping[UUID, Collection[str]] | None = None
    ) -> None:
        self._made: dict[str, Resource] = {}
        self._touched: dict[str, datetime] = {}
        self._zone = zone
        self._withheld = withheld or {}

    def masked(self, event: CareEvent, name: str) -> bool:
        """Whether ``event``'s free text ``name`` is withheld from the reader: it reads
        ``masked`` where it would stand, so a FHIR client tells it from one never given."""
        return name in self._withheld.get(event.event_id, ())

    def day_of(self, moment: datetime) -> date:
        """The program's day ``moment`` falls on."""
        return program_day(moment, self._zone)

    def new(self, event: CareEvent, resource: Resource) -> Resource:
        """Add ``resource`` (with its type and id) as ``event`` made it."""
        self._made[f"{resource['resourceType']}/{resource['id']}"] = resource
        resource["meta"] = {"versionId": "0"}
        return self._shaped(resource, event)

    def change(self, event: CareEvent, kind: str, id_: object) -> Resource | None:
        """The resource ``kind/id_`` for ``event`` to change, or None if no event made it
        (its start lies outside the export, or the reader may not see it)."""
        found = self._made.get(f"{kind}/{id_}")
        return None if found is None else self._shaped(found, event)

    def lapsed(self, resource: Resource, at: datetime) -> None:
        """``resource`` changed at ``at`` with no event to say so (a consent's term ran
        out): an export of what changed since before then carries it."""
        key = f"{resource['resourceType']}/{resource['id']}"
        self._touched[key] = max(self._touched[key], at)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self._made.values())

    def changed_since(self, since: datetime) -> list[Resource]:
        """Those an event recorded at or after ``since`` made or changed."""
        return [r for key, r in self._made.items() if self._touched[key] >= since]

    def of_type(self, kind: str) -> list[Resource]:
        return [r for r in self._made.values() if r["resourceType"] == kind]

    def _shaped(self, resource: Resource, event: CareEvent) -> Resource:
        self._touched[f"{resource['resourceType']}/{resource['id']}"] = event.recorded_at
        meta = resource["meta"]
        meta["versionId"] = str(int(meta["versionId"]) + 1)
        meta["lastUpdated"] = instant(event.recorded_at)
        meta["source"] = f"urn:uuid:{event.event_id}"
        return resource


Handler = Callable[[Resources, Any], None]
"""Maps one event type: makes or changes resources (typed loosely: one handler per type)."""


def handlers(*made: Handler) -> dict[type, Handler]:
    """Each handler under the event types its ``event`` parameter names (a union, several):
    its signature says what it takes, and no table need say it again."""
    found: dict[type, Handler] = {}
    for handler in made:
        named = get_type_hints(handler)["event"]
        for event_type in get_args(named) or (named,):
            found[event_type] = handler
    return found


def bundle(resources: Iterable[Resource], *, bundle_id: UUID, at: datetime) -> Resource:
    """A ``collection`` Bundle: resources that belong together, not a transaction to replay.
    With none, no ``entry``: FHIR's JSON carries no empty array."""
    made: Resource = {
        "resourceType": "Bundle",
        "id": str(bundle_id),
        "meta": {"security": [dict(label) for label in PART_2_LABELS]},
        "type": "collection",
        "timestamp": instant(at),
    }
    entries = [
        {"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
    ]
    if entries:
        made["entry"] = entries
    return made


def derived_id(*parts: object) -> str:
    """A stable id for a resource no single event names (a client's care team, one member's
    attendance at a group session)."""
    return str(uuid5(_IDS, "/".join(str(p) for p in parts)))


def reference(kind: str, id_: object) -> dict[str, str]:
    return {"reference": f"{kind}/{id_}"}


def patient(event: CareEvent) -> dict[str, str]:
    return reference("Patient", event.client_id)


def party(actor: Actor) -> dict[str, Any]:
    """A user as a logical reference: carecoord knows user ids, not Practitioner records."""
    return {"identifier": {"system": USER, "value": actor.id}, "display": actor.role.value}


def member(member_id: str, role: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"identifier": {"system": USER, "value": member_id}}
    if role:
        found["display"] = role
    return found


def event_reference(event_id: UUID) -> dict[str, Any]:
    """A reference to an event by its id, where no resource stands for it."""
    return {"identifier": {"system": EVENT, "value": str(event_id)}}


def rule(rule_id: str, version: str, display: str = "") -> dict[str, str]:
    coding = {"system": RULE, "code": rule_id, "version": version}
    if display:
        coding["display"] = display
    return coding


def kinds(values: Iterable[str]) -> list[dict[str, Any]]:
    return [{"coding": [{"system": KIND, "code": str(v)}]} for v in values]


DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
MASKED: dict[str, Any] = {"url": DATA_ABSENT, "valueCode": "masked"}
"""Withheld for privacy (the data-absent-reason code system's ``masked``)."""


def note(value: str, masked: bool) -> list[dict[str, Any]]:
    """A note (Annotation) of ``value``: its text the data-absent-reason ``masked`` where
    the export withheld it, none where none was given."""
    if value:
        return [{"text": value}]
    return [{"_text": {"extension": [MASKED]}}] if masked else []


def text(value: str) -> dict[str, Any]:
    """A concept in words; empty only where the export withheld them from its reader (a
    reason it names is never empty), then a concept with only the data-absent-reason
    ``masked``, as FHIR marks a value kept back for privacy, never one that reads blank."""
    if not value:
        return {"extension": [MASKED]}
    return {"text": value}


def number(value: Decimal) -> int | float:
    """A decimal as a JSON number (FHIR decimals are JSON numbers)."""
    return int(value) if value == value.to_integral_value() else float(value)


def quantity(value: Decimal | int, unit: str) -> dict[str, Any]:
    amount = number(value) if isinstance(value, Decimal) else value
    return {"value": amount, "unit": unit}


def instant(value: datetime) -> str:
    return value.isoformat()


def day(value: date) -> str:
    return value.isoformat()


DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"


def provenance(
    event: CareEvent,
    target: dict[str, str],
    operation: str,
    reason: str,
    *,
    masked: bool = False,
    revises: dict[str, str] | None = None,
) -> Resource:
    """Who corrected what, when and why (FHIR Provenance): ``operation`` is a v3 DataOperation
    (NULLIFY for entered in error, UPDATE for a replacement); the reason ``masked`` where the
    export withheld it; ``revises`` the record it replaces (entity role ``revision``)."""
    found: Resource = {
        "resourceType": "Provenance",
        "id": str(event.event_id),
        "target": [target],
        "occurredDateTime": instant(event.occurred_at),
        "recorded": instant(event.recorded_at),
        "activity": {"coding": [{"system": DATA_OPERATION, "code": operation}]},
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                            "code": "author",
                        }
                    ]
                },
                "who": party(event.actor),
            }
        ],
    }
    if reason or masked:
        found["reason"] = [text(reason)]
    if revises is not None:
        found["entity"] = [{"role": "revision", "what": revises}]
    return found
