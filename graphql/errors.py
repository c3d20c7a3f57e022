"""Turns refusals into GraphQL errors a person can act on, and hides everything else.

A domain refusal keeps its message and gains ``extensions`` with a stable ``code``, the
``field`` and the ``rule``. Any other failure is an internal error: its message is
replaced by a reference the operator can find in the logs (in production). A database or
driver error is always internal, wherever it surfaced: its message may quote data.

A request error that would quote a whole input object back (graphql-core's "Expected value
of type 'RecordCheckInInput' to include required field 'clientId', found: {...}", with the
note and everything else sent) names the type and the field only: the answer is shown,
logged and reported by clients and the proxies between, and the rest of the input is
clinical content that says nothing of what was wrong. Any other value such an error quotes
is quoted only when short (``quotes``).

Logs carry codes, rules and ids, never a message (``Schema.process_errors``): a refusal's
message names clients and drugs, and a validation error's may quote the request's values.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Iterable, Iterator

import psycopg
import strawberry
from eventsourcing.persistence import PersistenceError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext, ExecutionResult, StreamExecutionResult

from carecoord.graphql.extension_hooks import KnownHooks
from carecoord.graphql.quotes import clipped
from carecoord.graphql.validation_errors import variable_field
from carecoord.services.infrastructure import connection_lost as connection
from carecoord.services.kernel.errors import DomainError, Unavailable
from carecoord.services.medication.formulary import FORMULARY
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType

log = logging.getLogger("carecoord.api")

DATABASE_ERRORS = (psycopg.Error, PersistenceError)


def not_run(error: GraphQLError) -> bool:
    """Parse, validation and variable-coercion errors (no path, or no original error);
    never a database error, wherever it surfaced."""
    original = error.original_error
    return (
        original is None
        or isinstance(original, GraphQLError)
        or (error.path is None and not isinstance(original, DATABASE_ERRORS))
    )


QUOTED_INPUT = re.compile(
    r"(?P<said>.*?Expected value of type '[^']+' (?:to be an object"
    r"|to include required field '[^']*'"
    r"|not to include unknown field '[^']*'(?P<guess>\. Did you mean [^?]*\?)?))"
    r"(?:, found| Found): .*",
    re.DOTALL,
)
"""graphql-core's input-object errors, up to the value they quote whole."""


def without_input_values(message: str) -> str:
    """``message`` without the input object graphql-core quotes after what was wrong."""
    found = QUOTED_INPUT.fullmatch(message)
    if found is None:
        return message
    said = found["said"]
    return said if found["guess"] else f"{said}."


DATABASE_TIMEOUT = "database-timeout"
"""The rule of an UNAVAILABLE answer to a statement the database stopped (``timed_out``)."""
DATABASE_CONNECTION_LOST = connection.RULE
"""The rule of an UNAVAILABLE answer to a read whose connection was lost (``connection_lost``)."""
RETRY = {
    DATABASE_TIMEOUT: "the database did not answer in time (a lock held, or under load): retry",
    DATABASE_CONNECTION_LOST: connection.MESSAGE,
}


def timed_out(error: BaseException | None) -> bool:
    """A statement the database stopped before it finished: past the API's
    ``statement_timeout`` (a wait for a lock included), past a ``lock_timeout``, or cancelled
    by an operator. Nothing was decided by it, so asking again may well do."""
    return isinstance(error, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable)


def reads_only(document: DocumentNode | None) -> bool:
    """Whether the request holds no mutation: a read asked again decides nothing twice, where
    a write whose connection was lost may have been recorded (retry it with its
    Idempotency-Key)."""
    return document is not None and all(
        d.operation is not OperationType.MUTATION
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )


def retry_rule(error: BaseException | None, document: DocumentNode | None) -> str | None:
    """The UNAVAILABLE rule of an error the client should retry; None for any other."""
    if timed_out(error):
        return DATABASE_TIMEOUT
    if connection.connection_lost(error) and reads_only(document):
        return DATABASE_CONNECTION_LOST
    return None


def as_unavailable(error: GraphQLError, rule: str) -> GraphQLError:
    """A statement the database stopped (``timed_out``) or a read whose connection was lost
    as a refusal to retry: it was an internal error, and a stopped statement had hung for as
    long as the lock it waited on was held. Logged with its code and rule, never the
    driver's message (it may quote the query)."""
    log.warning(
        "database statement stopped",
        extra={"code": Unavailable.code, "rule": rule},
    )
    refusal = Unavailable("", rule, RETRY[rule])
    return GraphQLError(error.message, error.nodes, path=error.path, original_error=refusal)


def shaped(
    error: GraphQLError, *, mask: bool, document: DocumentNode | None = None
) -> GraphQLError:
    rule = retry_rule(error.original_error, document)
    if rule is not None:
        error = as_unavailable(error, rule)
    original = error.original_error
    if isinstance(original, DomainError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            path=error.path,
            original_error=original,
            extensions={
                **original.details,
                "code": original.code,
                "field": original.field,
                "rule": original.rule,
            },
        )
    if not_run(error):
        # Parse, validation and variable-coercion errors: the message names the field, and
        # a variable's refused value names it in extensions too (a literal's does already).
        extensions = dict(error.extensions or {})
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        field = variable_field(error.message, document)
        if field is not None:
            extensions.setdefault("field", field)
        return GraphQLError(
            clipped(without_input_values(error.message)),
            nodes=error.nodes,
            path=error.path,
            extensions=extensions,
        )
    reference = uuid.uuid4().hex[:12]
    log.error("internal error", extra={"reference": reference}, exc_info=original)
    message = f"internal error (reference {reference})" if mask else error.message
    return GraphQLError(
        message,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "reference": reference},
    )


class ShapeErrors(SchemaExtension):
    mask = False

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        result = context.result
        if result is not None and result.errors:
            document = context.graphql_document
            result.errors = [shaped(e, mask=self.mask, document=document) for e in result.errors]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Each result a websocket sends (a subscription's refusal too) is shaped the same:
        ``on_operation`` only sees the last one, after it was sent."""
        if isinstance(result, ExecutionResult) and result.errors:
            document = self.execution_context.graphql_document
            result.errors = [shaped(e, mask=self.mask, document=document) for e in result.errors]
        yield


class ShapeAndMaskErrors(ShapeErrors):
    mask = True


class Schema(strawberry.Schema):
    """Strawberry's schema, logging what went wrong without its content.

    Strawberry logs every error at ERROR with its message and traceback; most are expected
    refusals whose messages name clients and drug pairs (42 CFR Part 2). Here a refusal is
    one INFO line with its code, rule, field and correlation id; a request that could not
    run one with its code; an internal error is logged once, with its reference, where it
    is shaped (``shaped``).
    """

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return KnownHooks(execution_context, extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            original = error.original_error
            if isinstance(original, DomainError):
                version = original.details.get("ruleVersion")
                log.info(
                    "request refused",
                    extra={
                        "code": original.code,
                        "rule": loggable_rule(original.rule, _medications(execution_context)),
                        **({} if version is None else {"rule_version": version}),
                        "field": original.field,
                        "correlation_id": correlation_of(execution_context),
                    },
                )
            elif not_run(error):
                log.info(
                    "request not run",
                    extra={
                        "code": (error.extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED"),
                        "correlation_id": correlation_of(execution_context),
                    },
                )


def correlation_of(execution_context: ExecutionContext | None) -> str | None:
    """The request's correlation id; None without a request, or for a malformed header."""
    context = None if execution_context is None else execution_context.context
    correlation_id = getattr(context, "correlation_id", None)
    if correlation_id is None:
        return None
    try:
        return str(correlation_id())
    except DomainError:  # a malformed header: refused on its own
        return None


def loggable_rule(rule: str, medications: Iterable[str]) -> str:
    """A rule id as logs carry it. A program's interaction rules are named for drugs
    (``naltrexone-opioid-free-interval``), and a drug named beside a correlation id is
    clinical content: such an id is logged as ``medication-rule:`` and the first 12 hex
    digits of its SHA-256, which an operator matches against the program's rule table."""
    if any(code in rule for code in medications):
        return "medication-rule:" + hashlib.sha256(rule.encode()).hexdigest()[:12]
    return rule


def _medications(execution_context: ExecutionContext | None) -> Iterable[str]:
    context = None if execution_context is None else execution_context.context
    platform = getattr(context, "platform", None)
    formulary = FORMULARY if platform is None else platform.medication.formulary
    return formulary.medications.keys()
