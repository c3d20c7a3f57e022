"""What every carecoord event says besides its facts: who, when, why, in reply to what.

Subscribers outside this codebase rely on these fields, so they are part of the public
contract: add fields with defaults, never rename or remove; a breaking change is a new
``schema_version`` with an upcaster (see ``catalog.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from carecoord.events import amounts, bounds, summaries

_STORED = "stored"
"""Validation context key: the data is a recorded event, not new input."""


class Role(StrEnum):
    """The roles a member of a program can act in."""

    PRESCRIBER = "prescriber"
    NURSE = "nurse"
    THERAPIST = "therapist"
    PEER_SUPPORTER = "peer_supporter"
    PROGRAM_ADMIN = "program_admin"
    AUDITOR = "auditor"
    CLIENT = "client"
    SYSTEM = "system"


class Kind(StrEnum):
    """The kind of data an event carries: what the timeline filters on and access rules name."""

    CARE = "care"
    MEDICATION = "medication"
    DOSING = "dosing"
    THERAPY = "therapy"
    COUNSELING_NOTE = "counseling_note"
    CHECK_IN = "check_in"
    ALERT = "alert"
    CONSENT = "consent"


class Value(BaseModel):
    """A value inside an event (who acted, a dose, a count line): immutable, and refusing a
    field it does not know, where the event around it ignores one."""

    model_config = ConfigDict(frozen=True, extra="forbid")


ACTOR_ID_MAX = 200


class Actor(Value):
    """Who recorded a fact, and in which role."""

    id: str = Field(min_length=1, max_length=ACTOR_ID_MAX)
    role: Role


class CareEvent(BaseModel):
    """Base of every event in the catalog: immutable, versioned, self-describing."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    context: ClassVar[str]
    type_kind: ClassVar[Kind]
    """The kind of its type's events (``kind``), where no field of one decides it."""
    version: ClassVar[int] = 1
    summary_template: ClassVar[str] = ""
    about: ClassVar[str] = "The client's id (a UUID)"
    """What ``client_id`` names: a client, or for a site-level event the site's stock."""
    published: ClassVar[bool] = True
    """Whether the relay publishes it on the broker (a channel of the contract): an
    access-log entry is kept in the access log alone."""
    free_text: ClassVar[tuple[str, ...]] = ()
    """Its fields of free text, which can tell whatever their writer reads: shown only to a
    reader whose grant has as much (``policy.shows_text_by``)."""
    summary_text: ClassVar[str] = ""
    """The field of ``free_text`` the summary ends with, in parentheses ("... (why)"): a
    reader not shown the text reads the line without it (``summary_withheld``)."""

    event_id: UUID
    client_id: UUID
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    actor: Actor
    correlation_id: UUID
    causation_id: UUID | None = None

    @model_validator(mode="after")
    def _within_bounds(self, info: ValidationInfo) -> Self:
        """A new event is also within the catalog's bounds (``bounds.py``); one decoded from
        the store or the broker (``from_stored``) is not held to them, so history recorded
        before a bound existed stays readable."""
        if not (info.context and info.context.get(_STORED)):
            bounds.check(self)
        return self

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> Self:
        """An event as it was recorded (already upcast), without the bounds for new input."""
        return cls.model_validate(data, context={_STORED: True})

    @classmethod
    def from_stored_json(cls, payload: bytes) -> Self:
        """``from_stored`` from the JSON of the current version."""
        return cls.model_validate_json(payload, context={_STORED: True})

    @property
    def kind(self) -> Kind:
        """The kind of data this event carries: which readers see it (the timeline's rows, an
        export), which consents let it go. Its type's, but for a correction that goes by the
        entry it names."""
        return self.type_kind

    @computed_field  # type: ignore[prop-decorator]
    @property
    def type(self) -> str:
        """The catalog name of this event, e.g. ``medication.DoseAdministered``."""
        return type_name(type(self))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def schema_version(self) -> int:
        return type(self).version

    def summary(self) -> str:
        """One line for a person reading the timeline; never more than the kind allows."""
        cls = type(self)
        names = _summarised(cls)
        line = None if names is None else summaries.filled(cls.summary_template, names, self)
        return cls.summary_template.format(**self.summary_facts()) if line is None else line

    @classmethod
    def summary_withheld(cls, line: str, facts: Mapping[str, Any]) -> str:
        """``line``, the summary of an event of this class with ``facts``, as a reader not
        shown its free text reads it: without the text it ends with (``summary_text``)."""
        said = facts.get(cls.summary_text) if cls.summary_text else None
        return line.removesuffix(f" ({said})") if said else line

    def summary_facts(self) -> dict[str, Any]:
        """``facts`` as a summary line shows them: each amount as a reader reads it
        (``amounts.shown``), where the facts keep it as it was written."""
        facts = self.facts()
        for name, value in self:
            if isinstance(value, Decimal) and name in facts:
                facts[name] = amounts.shown(value)
        return facts

    def facts(self) -> dict[str, Any]:
        """The event's own fields, without the envelope."""
        # ``model_dump`` without its wrapper: the timeline summarises every event.
        facts: dict[str, Any] = self.__pydantic_serializer__.to_python(
            self, mode="json", exclude=_ENVELOPE
        )
        return facts


class EnteredInError(CareEvent):
    """What every correction of an entry recorded in error says beside the entry it names:
    why, required and bounded. A correction is a new event; the entry's own record stays.

    Listed first in a correction's bases, so its fields come after the entry's it repeats."""

    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    reason: str = Field(min_length=1, max_length=500)

    @field_validator("reason")
    @classmethod
    def _says_why(cls, reason: str, info: ValidationInfo) -> str:
        """A new correction's reason shows text (``bounds.visible``): one of only spaces or
        zero-width characters is refused as an empty one is. A stored one is read as it was
        recorded."""
        if not bounds.visible(reason) and not (info.context and info.context.get(_STORED)):
            raise PydanticCustomError(
                "string_too_short",
                "String should have at least {min_length} character a reader sees (spaces"
                " and invisible characters do not count)",
                {"min_length": 1},
            )
        return reason


_ENVELOPE = {
    "event_id",
    "client_id",
    "occurred_at",
    "recorded_at",
    "actor",
    "correlation_id",
    "causation_id",
    "type",
    "schema_version",
}


@cache
def _summarised(cls: type[CareEvent]) -> tuple[str, ...] | None:
    """The fields ``cls``'s template names, if each plainly and each of its own."""
    own = {*cls.model_fields, *cls.model_computed_fields} - _ENVELOPE
    return summaries.named(cls.summary_template, frozenset(own))


def type_name(cls: type[CareEvent]) -> str:
    return f"{cls.context}.{cls.__name__}"
