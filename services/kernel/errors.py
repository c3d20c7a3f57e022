"""Refusals as types: each says which field, which rule, and what would be accepted.

The API maps ``code`` to a GraphQL error's ``extensions.code``; nothing is recorded when
one of these is raised (a refused hard stop is recorded by its command, which returns
rather than raises: ``services/medication/commands.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "RULE_VIOLATION"

    def __init__(
        self, field: str, rule: str, message: str, details: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message
        self.details: Mapping[str, object] = details or {}
        """More for the caller, beside code, field and rule (a recorded refusal's id)."""


class InvalidInput(DomainError):
    """The request itself is malformed: a missing, out-of-range or unparseable value."""

    code = "BAD_USER_INPUT"


class NotFound(DomainError):
    code = "NOT_FOUND"


class RuleViolation(DomainError):
    """The request is well-formed but the record's current state does not allow it."""

    code = "RULE_VIOLATION"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Unavailable(DomainError):
    """The answer cannot be given safely yet (the access rules are catching up); retry."""

    code = "UNAVAILABLE"
