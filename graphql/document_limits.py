"""The depth and alias limits, each fragment measured once.

strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` walk a fragment again at every
spread of it: a document of 30 fragments, each spreading the next twice, is 2^30 walks, and
validation runs on the event loop, so one request of a kilobyte held every other user's
requests for as long. Here a fragment's measure is kept the first time it is taken, so the
walk is linear in the document. The measures are strawberry's: the depth counts the fields
that select further (introspection fields, named ``__...``, not at all), and an alias counts
at every spread that reaches it. A spread of an unknown fragment counts nothing
(``KnownFragmentNames`` reports it; strawberry's limiter raised ``KeyError``), nor does a
fragment within itself (``NoFragmentCycles`` reports that).
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)

Measure = Callable[[SelectionSetNode | None], int]


class Measures:
    """A document's depth and aliases, below any selection set, fragments measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._open: set[str] = set()

    def depth(self, selections: SelectionSetNode | None) -> int:
        deepest = 0
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                if node.selection_set and not node.name.value.startswith("__"):
                    deepest = max(deepest, 1 + self.depth(node.selection_set))
            elif isinstance(node, InlineFragmentNode):
                deepest = max(deepest, self.depth(node.selection_set))
            elif isinstance(node, FragmentSpreadNode):
                deepest = max(deepest, self._fragment(node.name.value, self._depths, self.depth))
        return deepest

    def aliases(self, selections: SelectionSetNode | None) -> int:
        count = 0
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                count += (node.alias is not None) + self.aliases(node.selection_set)
            elif isinstance(node, InlineFragmentNode):
                count += self.aliases(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                count += self._fragment(node.name.value, self._aliases, self.aliases)
        return count

    def _fragment(self, name: str, kept: dict[str, int], measure: Measure) -> int:
        if name not in kept:
            found = self._fragments.get(name)
            if found is None or name in self._open:
                return 0
            self._open.add(name)
            kept[name] = measure(found.selection_set)
            self._open.discard(name)
        return kept[name]


def _operations(context: ValidationContext) -> list[OperationDefinitionNode]:
    return [d for d in context.document.definitions if isinstance(d, OperationDefinitionNode)]


def depth_limit(max_depth: int) -> type[ASTValidationRule]:
    """Refuses an operation nested deeper than ``max_depth`` (``QueryDepthLimiter``'s)."""

    class DepthLimit(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measures = Measures(context.document)
            for operation in _operations(context):
                if measures.depth(operation.selection_set) > max_depth:
                    report_too_deep(context, operation, max_depth)

    return DepthLimit


def report_too_deep(
    context: ValidationContext, operation: OperationDefinitionNode, max_depth: int
) -> None:
    """``QueryDepthLimiter``'s error, which clients may match on."""
    name = operation.name.value if operation.name else "anonymous"
    context.report_error(
        GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", [operation])
    )


def alias_limit(max_aliases: int) -> type[ASTValidationRule]:
    """Refuses a document with more than ``max_aliases`` aliases (``MaxAliasesLimiter``'s)."""

    class AliasLimit(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measures = Measures(context.document)
            found = sum(measures.aliases(o.selection_set) for o in _operations(context))
            if found > max_aliases:
                context.report_error(GraphQLError(f"{found} aliases found. Allowed: {max_aliases}"))

    return AliasLimit
