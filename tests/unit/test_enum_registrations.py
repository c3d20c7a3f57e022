"""A GraphQL module whose types hold a domain enum imports the module that registers it
(``strawberry.enum(...)`` with its name and description): a type read before the enum was
registered (a module imported on its own, as a test or a tool does) took it as an enum of its
own, without the description, and the schema then failed to build ("Type Severity is defined
multiple times"), depending on which module happened to be imported first."""

from __future__ import annotations

import ast
from pathlib import Path

GRAPHQL = Path(__file__).resolve().parents[2] / "graphql"


def origins(tree: ast.Module) -> dict[str, str]:
    """Where each name a module imports comes from (``module.Name``): two modules may each
    name a different enum ``Status``."""
    return {
        alias.asname or alias.name: f"{node.module}.{alias.name}"
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def registered(tree: ast.Module) -> set[str]:
    """The enums a module registers at its top level, by where they come from."""
    named = origins(tree)
    return {
        named.get(node.value.args[0].id, node.value.args[0].id)
        for node in tree.body
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) == "strawberry.enum"
        and node.value.args
        and isinstance(node.value.args[0], ast.Name)
    }


def annotated(tree: ast.Module) -> set[str]:
    """What the annotations of its classes' fields and its resolvers' arguments name, by
    where it comes from."""
    found: set[str] = set()
    for node in ast.walk(tree):
        notes = []
        if isinstance(node, ast.ClassDef):
            notes = [n.annotation for n in node.body if isinstance(n, ast.AnnAssign)]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            ast.unparse(d).startswith("strawberry.") for d in node.decorator_list
        ):  # a resolver's: its arguments are the schema's too
            notes = [a.annotation for a in node.args.args + node.args.kwonlyargs if a.annotation]
        found |= {n.id for note in notes for n in ast.walk(note) if isinstance(n, ast.Name)}
    named = origins(tree)
    return {named[name] for name in found if name in named}


def imported_modules(tree: ast.Module) -> set[str]:
    """The carecoord.graphql modules it imports."""
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "carecoord.graphql":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "carecoord.graphql."
        ):
            found.add((node.module or "").rsplit(".", 1)[1])
    return found


def test_a_module_holding_an_enum_imports_the_module_registering_it() -> None:
    trees = {path.stem: ast.parse(path.read_text()) for path in sorted(GRAPHQL.glob("*.py"))}
    registering = {enum: name for name, tree in trees.items() for enum in registered(tree)}
    missing = sorted(
        f"{name} holds {enum} without importing {registering[enum]}"
        for name, tree in trees.items()
        for enum in annotated(tree) & registering.keys()
        if registering[enum] != name and registering[enum] not in imported_modules(tree)
    )
    assert not missing
