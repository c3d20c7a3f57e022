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

    def __init_subclass__(cls, *, code: str | None = None, **kwargs: object) -> None:
        """Each kind of refusal is declared with the code the API answers it with; a narrower
        kind (a hard stop is a rule violation) keeps its parent's."""
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code

    def __init__(
        self, field: str, rule: str, message: str, details: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message
        self.details: Mapping[str, object] = details or {}
        """More for the caller, beside code, field and rule (a recorded refusal's id)."""


class InvalidInput(DomainError, code="BAD_USER_INPUT"):
    """The request itself is malformed: a missing, out-of-range or unparseable value."""


class NotFound(DomainError, code="NOT_FOUND"): ...


class RuleViolation(DomainError, code="RULE_VIOLATION"):
    """The request is well-formed but the record's current state does not allow it."""


class Forbidden(DomainError, code="FORBIDDEN"): ...


class Unauthenticated(DomainError, code="UNAUTHENTICATED"): ...


class Altered(DomainError, code="DATA_LOSS"):
    """What is stored no longer reads as what was written (changed outside the platform):
    the caller is told where, never what it now holds."""


class Unavailable(DomainError, code="UNAVAILABLE"):
    """The answer cannot be given safely yet (the access rules are catching up); retry."""
