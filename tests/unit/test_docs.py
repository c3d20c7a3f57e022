"""What the README and docs/ show runs as shown: each GraphQL example validates against the
schema, each field and argument named in passing is the schema's, each file they send a
reader to is there, and each command line they give parses."""

from __future__ import annotations

import re
import shlex
import tomllib
from itertools import pairwise
from pathlib import Path

import pytest

from carecoord.graphql.schema import build_schema
from carecoord.services.runtime.cli import arguments
from graphql import GraphQLInputObjectType, get_named_type, parse, validate

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCHEMA = build_schema()._schema
ROOTS = (SCHEMA.query_type, SCHEMA.mutation_type, SCHEMA.subscription_type)
FIELDS = {name: field for root in ROOTS if root for name, field in root.fields.items()}
FOLDERS = ("events", "services", "projections", "graphql", "tests", "bench", "examples", "deploy")


def operations(page: Path) -> list[tuple[int, str]]:
    """Each operation of the page's ```graphql blocks, with the line it starts on; a quoted
    placeholder (``"<id>"``) stands for an id (``"<today>"`` for a date), a bare one
    (``<position>``) for a number."""
    text = page.read_text(encoding="utf-8")
    found = []
    for block in re.finditer(r"```graphql\n(.*?)```", text, re.S):
        first = text[: block.start()].count("\n") + 2
        lines = block.group(1).splitlines()
        starts = [
            i
            for i, line in enumerate(lines)
            if re.match(r"(query|mutation|subscription)\b|\{", line)
        ]
        for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
            source = "\n".join(line for line in lines[start:end] if not line.startswith("#"))
            source = source.replace('"<today>"', '"2026-12-07"')
            source = re.sub(r'"<[^>]+>"', '"6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b"', source)
            found.append((first + start, re.sub(r"<[^>]+>", "1", source)))
    return found


EXAMPLES = [(page, line, op) for page in PAGES for line, op in operations(page)]


@pytest.mark.parametrize(
    ("page", "line", "operation"), EXAMPLES, ids=[f"{p.name}:{n}" for p, n, _ in EXAMPLES]
)
def test_a_documented_operation_validates_against_the_schema(
    page: Path, line: int, operation: str
) -> None:
    errors = validate(SCHEMA, parse(operation))
    assert not errors, [e.message for e in errors]


def named_files(page: Path) -> list[str]:
    """The repository paths the page names in code spans (``services/gate/gate.py``; a
    module's member as ``projections/rows.Shown``), placeholders (``<role>``) cut off."""
    spans = re.findall(r"`([^`\n]+)`", page.read_text(encoding="utf-8"))
    pattern = rf"(?<![\w~./-])((?:{'|'.join(FOLDERS)})/[\w./-]*)"
    return [path.rstrip(".") for span in spans for path in re.findall(pattern, span)]


def there(named: str) -> bool:
    path = ROOT / named
    module = path.with_name(path.name.split(".")[0] + ".py")
    return path.exists() or ("." in path.name and module.exists())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_file_a_page_names_is_there(page: Path) -> None:
    assert [named for named in named_files(page) if not there(named)] == []


def arguments_named(page: Path) -> list[tuple[str, list[str]]]:
    """The fields a page names with their arguments in a code span: ``accessLog(clientId,
    since)``, or ``breakGlass(input: {clientId, reason})`` naming the input's fields."""
    text = page.read_text(encoding="utf-8")
    named = []
    for span in re.findall(r"`([a-z]\w*)\(([^`()]*)\)`", text):
        name, given = span
        inner = re.fullmatch(r"input: \{([\w, ]*)\}", given)
        if name in FIELDS and (inner or re.fullmatch(r"[\w, ]+", given)):
            listed = (inner.group(1) if inner else given).split(",")
            named.append((name, [("input." if inner else "") + a.strip() for a in listed]))
    return named


def takes(field: str, argument: str) -> bool:
    arguments = FIELDS[field].args
    if not argument.startswith("input."):
        return argument in arguments
    kind = get_named_type(arguments["input"].type) if "input" in arguments else None
    return isinstance(kind, GraphQLInputObjectType) and argument[6:] in kind.fields


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_argument_a_page_names_is_the_schemas(page: Path) -> None:
    unknown = [
        f"{field}({argument})"
        for field, arguments in arguments_named(page)
        for argument in arguments
        if not takes(field, argument)
    ]
    assert unknown == []


@pytest.mark.parametrize("page", [ROOT / "README.md", ROOT / "docs" / "architecture.md"])
def test_the_contexts_a_page_lists_are_the_domain_layers(page: Path) -> None:
    listed = re.search(r"one folder per clinical context \(([^:)]*)", page.read_text("utf-8"))
    assert listed is not None
    named = {name.strip().removeprefix("and ") for name in listed.group(1).split(",")}
    linter = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
    layers = [layer for contract in linter["contracts"] for layer in contract.get("layers", [])]
    domain = next(layer for layer in layers if ":" in layer)  # the contexts, side by side
    assert named == {module.strip().rsplit(".", 1)[1] for module in domain.split(":")}


def commands_shown(page: Path) -> list[list[str]]:
    """The ``carecoord ...`` command lines a page's code spans give with an option's value
    (``carecoord project --share 1/2``); a synopsis (a placeholder such as ``<model>``,
    ``FILE`` or ``K/N``, options in brackets) and a command named in passing are left out."""
    spans = re.findall(r"`(?:\.venv/bin/)?carecoord( [^`\n]*)?`", page.read_text("utf-8"))
    lines = [shlex.split(span) for span in spans if not re.search(r"[<\[|,]", span)]
    return [
        line
        for line in lines
        if not any(re.fullmatch(r"[A-Z/]+", word) for word in line)
        and any(a.startswith("--") and not b.startswith("-") for a, b in pairwise(line))
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_a_page_shows_parses(page: Path) -> None:
    refused = []
    for line in commands_shown(page):
        try:
            arguments().parse_args(line)
        except SystemExit:
            refused.append(shlex.join(["carecoord", *line]))
    assert refused == []


def test_the_broker_section_names_every_user_of_the_deployments_nats() -> None:
    users = re.findall(r"^\s*user: (\w+)", (ROOT / "deploy" / "nats.conf").read_text(), re.M)
    access = (ROOT / "docs" / "access.md").read_text(encoding="utf-8")
    section = access.split("## The broker", 1)[1].split("\n## ", 1)[0]
    assert users
    assert [user for user in users if f"`{user}`" not in section] == []


def sections_cited(page: Path) -> list[tuple[str, str]]:
    """The (page, section) pairs a page sends a reader to: ``docs/access.md, "The event
    chain"``, ``README, "A first session"``."""
    text = page.read_text(encoding="utf-8")
    cited = re.findall(r"(README|docs/\w+\.md)`?,? \"([^\"]+)\"", text)
    return [
        ("README.md" if name == "README" else name, " ".join(section.split()))
        for name, section in cited
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_section_a_page_cites_is_there(page: Path) -> None:
    missing = []
    for name, section in sections_cited(page):
        cited = (ROOT / name).read_text(encoding="utf-8")
        headings = re.findall(r"^#+ (.+)$|^\*\*(.+?)\.?\*\*", cited, re.M)
        if section not in {heading or label for heading, label in headings}:
            missing.append(f"{name}, {section!r}")
    assert missing == []
