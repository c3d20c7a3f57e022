"""``carecoord audit ...``: an auditor's checks from the command line.

``audit verify [--anchors FILE] [--json]`` walks the event store's hash chain
(``services/infrastructure/chain_verification.py``) with its progress on stderr, prints what it
found and
exits 0 when every link holds, 1 at the first broken link (or anchor), 2 when it cannot
check (an unreadable anchors file, no chained store in the database).

``audit export`` is ``services/runtime/audit_export.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import psycopg

from carecoord.services.infrastructure.chain_anchors import read_anchors
from carecoord.services.infrastructure.chain_verification import Report, verify
from carecoord.services.runtime import audit_export

INTACT, BROKEN, CANNOT_CHECK = 0, 1, 2


def arguments(audit: argparse.ArgumentParser) -> None:
    checks = audit.add_subparsers(dest="audit_command", metavar="check", required=True)
    verify_cmd = checks.add_parser(
        "verify",
        help="walk the event store's hash chain; exit 1 at the first broken link",
        description="Recompute every link of the event store's hash chain in position order "
        "and report the first broken one (docs/access.md, 'The event chain').",
    )
    verify_cmd.add_argument(
        "--anchors",
        type=Path,
        default=None,
        help="a JSON Lines file of anchors (the relay's, shipped elsewhere): each must match",
    )
    verify_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    audit_export.arguments(
        checks.add_parser(
            "export",
            help="a client's record, or a program's, as JSON Lines or a FHIR R4 Bundle",
            description="Export from the event store; each client exported is access-logged "
            "as the auditor named by --as (docs/access.md, 'Exporting the record').",
        )
    )


def run(args: argparse.Namespace, database_url: str) -> int:
    """The exit status of ``audit <check>``."""
    if args.audit_command == "export":
        return audit_export.run(args, database_url)
    try:
        anchors = read_anchors(args.anchors) if args.anchors else []
    except (OSError, ValueError) as error:
        print(f"carecoord audit verify: {error}", file=sys.stderr)
        return CANNOT_CHECK
    line = _ProgressLine()
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            report = verify(conn, anchors=anchors, progress=line)
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
        print(
            "carecoord audit verify: no chained event store in this database "
            "(the platform installs it when it first starts)",
            file=sys.stderr,
        )
        return CANNOT_CHECK
    finally:
        line.end()
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(describe(report, anchored=bool(args.anchors)))
    return INTACT if report.intact else BROKEN


class _ProgressLine:
    """One stderr line, rewritten in place as the walk goes, ended with a newline."""

    def __init__(self) -> None:
        self.shown = -1
        self.open = False

    def __call__(self, position: int, head: int, seconds: float) -> None:
        percent = 100 * position // max(head, 1)
        if percent == self.shown:
            return
        self.shown = percent
        rate = position / seconds if seconds > 0 else 0.0
        line = (
            f"\rverifying the event chain: {percent:3d}% (position {position:,} of {head:,}, "
            f"{rate:,.0f} events/s)"
        )
        print(line, end="", file=sys.stderr, flush=True)
        self.open = True

    def end(self) -> None:
        if self.open:
            print(file=sys.stderr, flush=True)


def describe(report: Report, *, anchored: bool) -> str:
    rate = f"{report.checked:,} events in {report.seconds:.2f} s ({report.rate:,.0f} events/s)"
    lines = []
    broken = report.broken
    if broken is None:
        lines.append(f"event chain intact ({report.chain}): {rate}")
    else:
        lines.append(f"event chain BROKEN at position {broken.position}: {broken.verdict}")
        lines.append(f"  {broken.message}")
        if broken.aggregate_id is not None:
            lines.append(
                f"  aggregate {broken.aggregate_id} version {broken.version} ({broken.topic})"
            )
        lines.append(f"  expected {broken.expected}")
        lines.append(f"  found    {broken.found}")
        lines.append(f"  checked before it: {rate}")
    lines.append(f"head: position {report.head_position} hash {report.head_hash.hex()}")
    if anchored:
        lines.append(f"anchors matched: {report.anchors_checked}")
    return "\n".join(lines)
