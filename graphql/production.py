"""What the API tells strangers in production: no schema without a token, no guesses.

- Introspection (``__schema``, ``__type``) answers only a request with a valid token; without
  one it is refused before it runs (``UNAUTHENTICATED``, rule ``token-required``). The
  schema is published as SDL (``graphql/schema.graphql``) for those who build against it.
- The depth limit counts introspection fields too: strawberry's limiter skips every field
  whose name starts with ``__``, so ``ofType { ofType { ... } }`` went as deep as asked.
  The standard introspection query is 15 deep and is refused; an introspection query with
  a type depth of 4 fits (our deepest type is ``[X!]!``) and so does the published SDL.
- No "Did you mean ...?": graphql-core's own switch (``hide_suggestions``, 3.3) is on for
  validation and for variable coercion, so a misspelt field, argument, type, enum value or
  input field names nothing the caller did not send.

Development keeps all three off: GraphiQL introspects and suggests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from carecoord.graphql.document_limits import report_too_deep
from carecoord.graphql.plain_fields import PlainCompletion
from carecoord.graphql.validated import Validated
from carecoord.services.kernel.errors import DomainError, Unauthenticated
from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    validate,
)

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


def _depth(
    selections: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    kept: dict[str, int],
    seen: frozenset[str] = frozenset(),
) -> int:
    """Fields below ``selections``, every field counted (``__typename`` too); each fragment's
    depth is ``kept`` once taken, or spreads fanning out would be walked 2^n times."""
    if selections is None:
        return 0
    deepest = 0
    for node in selections.selections:
        if isinstance(node, FieldNode):
            deepest = max(deepest, 1 + _depth(node.selection_set, fragments, kept, seen))
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in fragments and name not in seen:
                if name not in kept:
                    found = fragments[name].selection_set
                    kept[name] = _depth(found, fragments, kept, seen | {name})
                deepest = max(deepest, kept[name])
        elif isinstance(node, InlineFragmentNode):
            deepest = max(deepest, _depth(node.selection_set, fragments, kept, seen))
    return deepest


def introspects(document: DocumentNode) -> bool:
    """Whether any operation or fragment of the document selects ``__schema`` or ``__type``."""
    pending = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while pending:
        for node in pending.pop().selections:
            if isinstance(node, FieldNode) and node.name.value in INTROSPECTION_FIELDS:
                return True
            if isinstance(node, FieldNode | InlineFragmentNode) and node.selection_set:
                pending.append(node.selection_set)
    return False


def introspection_depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """The depth limit for operations that introspect, introspection fields counted."""

    class IntrospectionDepth(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            if not introspects(document):
                return
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            kept: dict[str, int] = {}
            for operation in document.definitions:
                if not isinstance(operation, OperationDefinitionNode):
                    continue
                if _depth(operation.selection_set, fragments, kept) > max_depth:
                    report_too_deep(context, operation, max_depth)

    return IntrospectionDepth


def _validated(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> tuple[list[GraphQLError], bool]:
    """The document's errors without suggestions, and whether it introspects."""
    errors = validate(
        schema,
        document,
        (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
        hide_suggestions=True,
    )
    return errors, introspects(document)


def production_validation(max_depth: int) -> Callable[[], SchemaExtension]:
    """The validation step of production (in place of strawberry's ``ValidationCache``):
    kept per document, without suggestions, introspection counted in the depth and
    refused without a valid token."""
    depth_rule = introspection_depth_rule(max_depth)
    validated = Validated(_validated)

    class ProductionValidation(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            assert context.graphql_document is not None
            rules = (*context.validation_rules, depth_rule)
            errors, introspecting = validated(
                context.schema._schema, context.graphql_document, rules
            )
            if not errors and introspecting:
                errors = _without_token(context.context)
            context.pre_execution_errors = errors
            yield

    return ProductionValidation


def _without_token(request: Any) -> list[GraphQLError]:
    """No error when the request carries a valid token; its refusal otherwise."""
    try:
        if request.actor() is not None:
            return []
        refusal: DomainError = Unauthenticated(
            "authorization", "token-required", "introspection needs a valid token"
        )
    except DomainError as refused:  # a token that does not verify
        refusal = refused
    return [GraphQLError(refusal.message, original_error=refusal)]


class WithoutSuggestions(PlainCompletion):
    """Execution without suggestions in variable-coercion errors (an enum value, an input
    field), graphql-core's ``hide_suggestions``."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)
