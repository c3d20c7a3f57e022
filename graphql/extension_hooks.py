"""The schema extensions' hooks, found once per extension class rather than per request.

strawberry's runner, at each of a request's steps (operation, parse, validation,
execution), looks every extension over for that step's hook (``inspect`` on each) and wraps
each one found in a new ``contextlib.contextmanager``, ``functools.update_wrapper``
included: 40 lookups and 11 wrappers for every request to this schema's ten extensions
(a request that runs nothing, ``{ __typename }``, took 200 us of CPU in-process with them,
167 us without). Here each class's
hook for a step is wrapped once; the hooks still run as strawberry runs them, in the
extensions' order on one exit stack, left in reverse.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe


def _wrapped(kind: type[SchemaExtension], step: str) -> tuple[Callable[..., Any], bool] | None:
    """``kind``'s hook for ``step`` as a context manager's factory taking the extension,
    and whether it is async; None when the class leaves the step to ``SchemaExtension``.
    A hook that is a plain function runs before the step, as strawberry runs it."""
    hook = getattr(kind, step)
    if hook is getattr(SchemaExtension, step):
        return None
    if inspect.isgeneratorfunction(hook):
        return contextmanager(hook), False
    if inspect.isasyncgenfunction(hook):
        return asynccontextmanager(hook), True
    if inspect.iscoroutinefunction(hook):

        async def awaited(extension: SchemaExtension) -> AsyncIterator[None]:
            await hook(extension)
            yield

        return asynccontextmanager(awaited), True

    def called(extension: SchemaExtension) -> Iterator[None]:
        hook(extension)
        yield

    return contextmanager(called), False


Plan = dict[str, list[tuple[int, Callable[..., Any], bool]]]
"""For each step, the place of each extension with a hook for it, the hook's factory and
whether it is async."""
_PLANS: dict[tuple[type[SchemaExtension], ...], Plan] = {}
"""One plan for each list of extension classes (a schema's)."""
STEPS = tuple(
    m.HOOK_NAME
    for m in (
        OperationContextManager,
        ValidationContextManager,
        ParsingContextManager,
        ExecutingContextManager,
    )
)


def _plan(extensions: list[SchemaExtension]) -> Plan:
    kinds = tuple(type(e) for e in extensions)
    plan = _PLANS.get(kinds)
    if plan is None:
        plan = _PLANS[kinds] = {
            step: [(i, *found) for i, kind in enumerate(kinds) if (found := _wrapped(kind, step))]
            for step in STEPS
        }
    return plan


M = TypeVar("M", bound=ExtensionContextManagerBase)


def _ready(manager: type[M], extensions: list[SchemaExtension]) -> M:
    """strawberry's ``manager`` of a step, given its hooks (its ``__init__`` would look each
    extension over again)."""
    step = manager.__new__(manager)
    step.hooks = [
        WrappedHook(extensions[i], types.MethodType(factory, extensions[i]), is_async)
        for i, factory, is_async in _plan(extensions)[manager.HOOK_NAME]
    ]
    return step


class KnownHooks(SchemaExtensionsRunner):
    """strawberry's runner, with each extension class's hooks wrapped once."""

    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> None:
        super().__init__(execution_context, extensions)
        self._own_results = [
            e for e in extensions if type(e).get_results is not SchemaExtension.get_results
        ]

    def operation(self) -> OperationContextManager:
        return _ready(OperationContextManager, self.extensions)

    def validation(self) -> ValidationContextManager:
        return _ready(ValidationContextManager, self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _ready(ParsingContextManager, self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _ready(ExecutingContextManager, self.extensions)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        """As strawberry's, asking only the extensions that answer something of their own
        (``SchemaExtension.get_results`` answers ``{}``)."""
        data: dict[str, Any] = {}
        for extension in self._own_results:
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data
