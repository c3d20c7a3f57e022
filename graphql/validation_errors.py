"""Validation errors that say where and why.

- A literal the schema refuses names its argument and where in it, with the literal's
  location: graphql-core passes on as it is an error a scalar or an enum raised (strawberry's
  ``UUID``, ``Date``, ``DateTime`` and ``JSON``; an enum given a list), and those carry no
  location and name nothing, so ``clientTimeline(clientId: "abc")`` was answered ``Value
  cannot represent a UUID: "abc"`` alone, and a typo among a mutation's twenty inline
  values had to be found by eye. Now it is ``Argument 'input' has an invalid value at
  'clientId': ...``, located, with ``extensions.field`` as a refusal's (``clientId``,
  ``bottles.0.lot``). Values sent as variables were named already (``Variable '$input' got
  invalid value ... at 'input.clientId'``).
- A variable's value the schema refuses names, in ``extensions.field``, where the variable
  is used and where in its value, as a literal's error does (``craving`` for
  ``recordCheckIn(input: $i)`` with ``$i.craving`` "lots", ``answers.0.item``): the message
  named it alone, so a client that shows each error beside its field, sending its values as
  variables as clients do, had none to show it by. A field missing from an input object, or
  one it does not have, is named itself (``orderId``, ``bottles.0.lot``), in a literal too,
  where graphql-core's path ends at the object holding it (``input``, ``bottles.0``).
- A document whose checking would take more than graphql-core's budget (fields of one
  response name compared pairwise, fragments spread again and again) or more than Python's
  recursion, which graphql-core answers with a bare ``Validation aborted.``, is told what
  made it so and what to send instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql.language import SKIP
from graphql.utilities.validate_input_value import validate_input_literal
from graphql.validation import ValuesOfCorrectTypeRule
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    GraphQLInputType,
    ListValueNode,
    Node,
    ObjectValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    VisitorAction,
    visit,
)

ABORTED = (
    "Validation aborted: the document has more to check than one request may ask (fields of"
    " the same name compared with each other, or fragments spread again and again); send"
    " fewer fields, or split it into several requests"
)


class NamedValues(ValuesOfCorrectTypeRule):
    """graphql-core's rule, each error naming the argument (or variable default) it is in,
    the path inside it, and located at the literal at fault."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._where: str | None = None

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self._where = f"Argument '{node.name.value}'"

    def leave_argument(self, *_args: Any) -> None:
        self._where = None

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> None:
        self._where = f"Variable '${node.variable.name.value}' default"

    def leave_variable_definition(self, *_args: Any) -> None:
        self._where = None

    def is_valid_value_node(
        self, node: ValueNode, input_type: GraphQLInputType | None
    ) -> VisitorAction:
        if input_type:
            where = self._where

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                self.report_error(located(error, node, path, where))

            validate_input_literal(
                node, input_type, on_error, None, None, self.context.hide_suggestions
            )
        return SKIP


def located(
    error: GraphQLError, top: ValueNode, path: list[str | int], where: str | None
) -> GraphQLError:
    """``error`` naming ``where`` and ``path``, at its own nodes or else the literal at
    ``path`` (an enum's error names a copy of the literal, which has no location)."""
    if where is None:
        return error
    at = ".".join(map(str, path))
    message = f"{where} has an invalid value{f' at {at!r}' if at else ''}: {error.message}"
    extensions = dict(error.extensions or {})
    if where.startswith("Argument"):
        argument = where.split("'")[1]
        steps = [*map(str, path), *named_member(error.message)]
        field = ".".join(steps if argument == "input" and steps else [argument, *steps])
        extensions.setdefault("field", field)
    own = [n for n in error.nodes or () if n.loc is not None]  # a copy without its place
    return GraphQLError(
        message,
        own or literal_at(top, path),
        original_error=error.original_error,
        extensions=extensions,
    )


MEMBER = re.compile(
    r"Expected value of type '\w+' (?:not )?to include (?:required|unknown) field '(?P<name>\w+)'"
)
"""graphql-core's words for a field missing from an input object, or one it does not have:
the path it gives ends at the object, so the field's name is read from the message."""


def named_member(message: str) -> list[str]:
    """The input field ``message`` says is missing or unknown, as a last step of the path to
    name in ``extensions.field`` (``orderId``, ``bottles.0.lot``), or none: a client showing
    each error beside its field had only the object (``input``, ``bottles.0``) to show
    "include required field 'lot'" by."""
    found = MEMBER.match(message)
    return [] if found is None else [found["name"]]


VARIABLE_VALUE = re.compile(
    r"Variable '\$(?P<name>\w+)' (?:has invalid value(?: at (?P<path>[.\w\[\]]+))?: "
    r"|of required type )"
)
"""graphql-core's error for a variable's value, naming the variable and the path inside it
(``.answers[0].item``), or for a required variable not sent."""


def variable_field(message: str, document: DocumentNode | None) -> str | None:
    """The field a variable's refused value is about, named as ``located`` names a
    literal's: the argument the variable is given to (``input`` left out before what is
    inside it), then the path to it and inside it; None for any other error."""
    found = VARIABLE_VALUE.match(message)
    if found is None or document is None:
        return None
    used = _Uses(found["name"])
    visit(document, used)
    if used.at is None:
        return None
    argument, *within = used.at
    inside = re.findall(r"\w+", found["path"] or "")
    steps = [*within, *inside, *named_member(message[found.end() :])]
    return ".".join(steps if argument == "input" and steps else [argument, *steps])


class _Uses(Visitor):
    """Where variable ``name`` is first given: its argument and the path inside it."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.at: list[str] | None = None

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> VisitorAction:
        if self.at is None:
            inside = _path_to(node.value, self.name)
            if inside is not None:
                self.at = [node.name.value, *inside]
        return SKIP


def _path_to(value: ValueNode, name: str) -> list[str] | None:
    """The path from ``value`` to variable ``name`` within it, or None."""
    if isinstance(value, VariableNode):
        return [] if value.name.value == name else None
    inner: list[tuple[str, ValueNode]] = []
    if isinstance(value, ObjectValueNode):
        inner = [(f.name.value, f.value) for f in value.fields]
    elif isinstance(value, ListValueNode):
        inner = [(str(n), v) for n, v in enumerate(value.values)]
    for step, node in inner:
        path = _path_to(node, name)
        if path is not None:
            return [step, *path]
    return None


def literal_at(top: ValueNode, path: list[str | int]) -> Node:
    """The literal ``path`` leads to from ``top``, as far as the literal goes."""
    found: ValueNode = top
    for step in path:
        if isinstance(found, ObjectValueNode):
            named = [f.value for f in found.fields if f.name.value == step]
            if not named:
                break
            found = named[0]
        elif isinstance(found, ListValueNode) and isinstance(step, int):
            if step >= len(found.values):
                break
            found = found.values[step]
        else:
            break
    return found


class ExplainedValidation(SchemaExtension):
    """Validates with ``NamedValues`` in place of graphql-core's rule, and says why a
    validation was aborted. Listed after the validation step, whose errors it rewrites;
    the rules are swapped when the operation starts, before any validation runs."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            NamedValues if rule is ValuesOfCorrectTypeRule else rule
            for rule in context.validation_rules
        )
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        errors = context.pre_execution_errors
        if errors and any(isinstance(e, ValidationAbortedError) for e in errors):
            context.pre_execution_errors = [
                GraphQLError(ABORTED) if isinstance(e, ValidationAbortedError) else e
                for e in errors
            ]
        yield
