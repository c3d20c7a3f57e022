"""A user's access to the platform as events: suspended at once, and reinstated.

A user is known by the opaque id their tokens carry (``sub``); a token stays valid until it
expires, so a clinic whose staff member leaves, or whose token was stolen, suspends the user
id instead: from the moment it is recorded every request and every open socket of that id
is refused (``user-suspended``), whatever token it carries. Nothing is edited in place: a
reinstatement is a new event on the same record. The record's id stands where the envelope
names a client (``user_record_id``), so the store, the chain and the subjects treat it like
any other record, and no client's record ever holds one.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from carecoord.events import bounds
from carecoord.events.envelope import CareEvent, Kind

_USERS = uuid5(NAMESPACE_URL, "https://carecoord.dev/users")

REASON_MAX = 500
"""The longest reason for a suspension or reinstatement: why, not a narrative."""
UserId = Annotated[str, Field(min_length=1, max_length=200)]


def user_record_id(user_id: str) -> UUID:
    """The id of the record of ``user_id``'s access, where the envelope names a client."""
    return uuid5(_USERS, user_id)


class _UserAccess(CareEvent):
    context: ClassVar[str] = "users"
    type_kind: ClassVar[Kind] = Kind.CONSENT
    about: ClassVar[str] = (
        "The user's record id (a UUID: user_record_id(user_id) in events/users.py)"
    )
    free_text: ClassVar[tuple[str, ...]] = ("reason",)

    user_id: UserId
    """The opaque id the user's tokens carry (``sub``)."""
    reason: str = Field(min_length=1, max_length=REASON_MAX)
    program: str | None = Field(default=None, max_length=200)
    """The program the admin's token named, if any: whose admin decided it."""

    @field_validator("reason")
    @classmethod
    def _says_why(cls, reason: str, info: ValidationInfo) -> str:
        if not bounds.visible(reason) and not (info.context and info.context.get("stored")):
            raise PydanticCustomError(
                "string_too_short",
                "String should have at least {min_length} character a reader sees",
                {"min_length": 1},
            )
        return reason

    @model_validator(mode="after")
    def _user_is_the_record(self) -> Self:
        if self.client_id != user_record_id(self.user_id):
            raise ValueError("client_id must be the record id of user_id")
        return self


class UserSuspended(_UserAccess):
    """A program admin suspended a user: every request and open socket of the user id is
    refused from now on (``user-suspended``), until a reinstatement."""

    summary_template: ClassVar[str] = "Access of {user_id} suspended"


class UserReinstated(_UserAccess):
    """A program admin reinstated a suspended user: their tokens are taken again (each still
    until it expires)."""

    summary_template: ClassVar[str] = "Access of {user_id} reinstated"


USER_EVENTS: tuple[type[CareEvent], ...] = (UserSuspended, UserReinstated)
"""Events about a user's access: no client's record holds them."""
