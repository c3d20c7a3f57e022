"""``carecoord audit ...``: an auditor's checks from the command line.

``audit verify [--anchors FILE] [--json]`` walks the event store's hash chain
(``services/infrastructure/chain_verification.py``) with its progress on stderr, then the
access log's (``services/infrastructure/access_log.py``), prints what it found and exits 0
when every link holds, 1 at the first broken link of either (or anchor), 2 when it cannot
check (an unreadable anchors file, no chained store in the database, no database reached,
interrupted).

``audit projections [--json]`` derives every read model afresh from the store into scratch
tables, in one pass, and compares each with the live one by digest, per model and per
client (``projections/verify.py``), with its progress on stderr; it names each difference
by model, client id, row counts and digests (never content) and exits 0 when every model
is the same, 1 when one differs, 2 when it cannot check (no event store or read models in
the database, an event that does not decode, the database lost partway, interrupted, or,
with none differing, a model a later version of it built: this code cannot judge it).

SIGINT or SIGTERM stops any of them with one line and exit 2: nothing is printed as found,
and the scratch tables of ``projections`` are dropped (a traceback, or, beside a running
``up``, exit 0 with nothing said, which a script read as intact). Once ``verify`` or
``projections`` has its verdict, Ctrl-C leaves its exit status (``said``).

``audit export`` is ``services/runtime/audit_export.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from carecoord.projections.models import READ_MODELS
from carecoord.projections.verify import VerificationRunning, Verified, verify_all
from carecoord.services.infrastructure import access_log
from carecoord.services.infrastructure.access_chain import CHAIN as ACCESS_CHAIN
from carecoord.services.infrastructure.access_chain import GENESIS, Broken
from carecoord.services.infrastructure.chain_anchors import Anchor, read_anchors
from carecoord.services.infrastructure.chain_verification import Report, verify
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.runtime import audit_export, logs, output_files
from carecoord.services.runtime.meter import Meter, meter

INTACT, BROKEN, CANNOT_CHECK = 0, 1, 2
SEQ_MAX = 2**63 - 1
"""The greatest access-log entry number (``seq`` is a bigint)."""
EXIT_STATUS = (
    "exit status: 0 intact, 1 broken, 2 cannot check (no database or no event store in it,"
    " an anchors file that cannot be read or holds a malformed line, interrupted)"
)
INTERRUPTED = {
    "verify": "nothing was checked",
    "projections": "nothing was checked; its scratch tables are dropped",
    "export": "nothing was written",
}
"""What an interrupted ``audit <check>`` says it left."""


def arguments(audit: argparse.ArgumentParser) -> None:
    checks = audit.add_subparsers(dest="audit_command", metavar="check", required=True)
    verify_cmd = checks.add_parser(
        "verify",
        help="walk the event store's and the access log's hash chains; exit 1 at a break",
        description="Recompute every link of the event store's hash chain in position order, "
        "then the access log's, and report the first broken one of each (docs/access.md, "
        "'The event chain', 'Hash chain').",
        epilog=EXIT_STATUS,
    )
    verify_cmd.add_argument(
        "--anchors",
        type=_anchors_file,
        default=None,
        help="a JSON Lines file of anchors (the relay's, shipped elsewhere), - for standard"
        " input: each must match",
    )
    verify_cmd.add_argument(
        "--access-log-head",
        type=kept_head,
        default=None,
        metavar="SEQ:HASH",
        help="a head of the access log an earlier verify printed: the log must still pass"
        " through it (a cut tail is caught so)",
    )
    verify_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    projections_cmd = checks.add_parser(
        "projections",
        help="derive every read model afresh from the store; exit 1 if a live one differs",
        description="Rebuild every read model from the event store into scratch tables, in "
        "one pass, and compare each with the live one, per model and per client "
        "(docs/architecture.md, 'Projection verification'). Differences are named by model, "
        "client id, row counts and digests, never by content.",
        epilog="exit status: 0 every model the same, 1 one differs, 2 cannot check (no"
        " database, an event that does not decode (a wrong CARECOORD_CIPHER_KEY), another"
        " verification running, a model a later version of it built, interrupted)",
    )
    projections_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    audit_export.arguments(
        checks.add_parser(
            "export",
            help="a client's record, or a program's, as JSON Lines or a FHIR R4 Bundle",
            description="Export from the event store; each client exported is access-logged "
            "as the auditor named by --as (docs/access.md, 'Exporting the record').",
            epilog="exit status: 0 exported, 1 exported but a client's record is not intact"
            " (its break said), 2 nothing written (refused, no database, interrupted)",
        )
    )


def _anchors_file(value: str) -> Path:
    """The anchors file; ``-`` is standard input, as ``audit export --out -`` is standard
    output (it was looked for as a file named -, "not there yet" said of it)."""
    return Path("/dev/stdin") if value == "-" else Path(value)


def run(args: argparse.Namespace, database_url: str) -> int:
    """The exit status of ``audit <check>``; 2 when SIGINT (or SIGTERM, which the command
    line turns into the same) stopped it: neither the 0 nor the 1 of a check that ran."""
    try:
        if args.audit_command == "export":
            return audit_export.run(args, database_url)
        if args.audit_command == "projections":
            return check_projections(args, database_url)
        return check_chains(args, database_url)
    except KeyboardInterrupt:
        return interrupted(args)


def interrupted(args: argparse.Namespace) -> int:
    """Say that ``audit <check>`` was stopped, and what it left; its exit status."""
    left = INTERRUPTED[args.audit_command]
    print(f"carecoord audit {args.audit_command}: interrupted; {left}", file=sys.stderr)
    return CANNOT_CHECK


NO_ANCHOR_YET = (
    "; the relay (of `up`, or `carecoord relay`) writes its first anchor a minute after it"
    " starts with events stored: before it, there is none to check against"
)
"""Said of an anchors file not there: right after a first start it is not there yet."""


def check_chains(args: argparse.Namespace, database_url: str) -> int:
    """The exit status of ``audit verify``: the event chain's walk, then the access log's."""
    try:
        anchors = read_anchors(args.anchors, warn=_warned) if args.anchors else []
    except OSError as error:  # the errno's text was said ("[Errno 2] ..."), and no argument
        why = error.strerror or type(error).__name__
        if isinstance(error, FileNotFoundError):
            why += NO_ANCHOR_YET
        print(
            f"carecoord audit verify: --anchors {output_files.shown(args.anchors)}: {why}",
            file=sys.stderr,
        )
        return CANNOT_CHECK
    except ValueError as error:
        print(f"carecoord audit verify: {error}", file=sys.stderr)
        return CANNOT_CHECK
    try:
        with (
            meter("verifying the event chain") as shown,
            psycopg.connect(database_url, autocommit=True) as conn,
        ):
            report = verify(conn, anchors=anchors, progress=shown)
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
        print(
            "carecoord audit verify: no chained event store in this database "
            "(the platform installs it when it first starts)",
            file=sys.stderr,
        )
        return CANNOT_CHECK
    except psycopg.OperationalError as error:  # not a broken link: 1 would cry tampering
        print(f"carecoord audit verify: {logs.database_failure(error)}",
              file=sys.stderr)  # fmt: skip
        return CANNOT_CHECK
    try:
        logged = asyncio.run(_access_log(database_url, args.access_log_head, anchors))
    except psycopg.OperationalError as error:
        print(f"carecoord audit verify: {logs.database_failure(error)}",
              file=sys.stderr)  # fmt: skip
        return CANNOT_CHECK
    if args.json:
        said(json.dumps(report.as_json() | {"accessLog": access_log_json(logged)}, indent=2))
    else:
        said(f"{describe(report, anchored=bool(args.anchors))}\n{describe_access_log(logged)}")
    intact = report.intact and (logged is None or logged.broken is None)
    return INTACT if intact else BROKEN


def said(verdict: str) -> None:
    """Print the verdict of a check that ran; its exit status stands from here on. Ctrl-C
    reaches every process of the terminal's foreground pipeline (the pager reading this
    answer too) and ended it 130, or 2 "nothing was checked", with its verdict printed: it
    is ignored now. SIGTERM still stops a verdict no reader takes, and is ignored once it
    is written."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print(verdict, flush=True)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _warned(warning: str) -> None:
    print(f"carecoord audit verify: warning: {warning}", file=sys.stderr)


def kept_head(given: str) -> tuple[int, bytes]:
    """``SEQ:HASH``, as ``access log head: entry SEQ hash HASH`` reads: an entry number no
    entry can have (past a bigint; read leniently, " 5" or "5_0") is refused as the anchors'
    position is, not judged against the log (exit 1, entries removed)."""
    seq, _, hashed = given.partition(":")
    try:
        head = int(seq) if seq.isascii() and seq.isdigit() else -1, bytes.fromhex(hashed)
    except ValueError:
        head = (-1, b"")
    if not 0 <= head[0] <= SEQ_MAX or len(head[1]) != len(GENESIS):
        raise argparse.ArgumentTypeError(
            f"{given!r} is not SEQ:HASH (an entry number and 64 hex digits)"
        )
    return head


async def _access_log(
    database_url: str, kept: tuple[int, bytes] | None, anchors: Sequence[Anchor] = ()
) -> access_log.Verification | None:
    """The access log's chain walked, as ``verifyAccessLog`` walks it, through ``kept``
    when given, chained from the anchors' ``accessLogFrom`` on and through every head they
    anchored; None when this database keeps no access log (no read was ever served from
    it) and nothing held it to an entry. A log without the chain's columns (kept before the
    chain, or its columns dropped) is all unchained entries, as many as it holds: it was
    said to be no log at all."""
    heads = sorted({a.access_log_head for a in anchors if a.access_log_head})
    chained_from = min((a.access_log_from for a in anchors if a.access_log_from), default=None)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        try:
            return await access_log.walk(conn, kept=kept, chained_from=chained_from, anchored=heads)
        except psycopg.errors.UndefinedColumn:
            count = sql.SQL("SELECT count(*), min(seq) FILTER (WHERE seq >= %s) FROM {}").format(
                sql.Identifier(access_log.TABLE)
            )
            row = await (await conn.execute(count, (chained_from,))).fetchone()
            unchained, first = (int(row[0]), row[1]) if row else (0, None)
            if chained_from is not None and first is not None:
                broken = access_log.unhashed(first, chained_from)
                return access_log.Verification(0, unchained, 0, GENESIS, broken)
        except psycopg.errors.UndefinedTable:
            if kept is not None and kept[0] != 0:
                text = f"no access log is stored, yet entry {kept[0]} was kept as its head: removed"
                return access_log.Verification(0, 0, 0, GENESIS, Broken(kept[0], "truncated", text))
            if not heads:
                return None
            unchained = 0
    held = None if kept is None else access_log.passes(kept, GENESIS if kept[0] == 0 else None, 0)
    if held is None and heads:  # no chained entry is left, where one was anchored
        held = access_log.anchored_beyond(heads[-1][0], 0)
    return access_log.Verification(0, unchained, 0, GENESIS, held)


def check_projections(args: argparse.Namespace, database_url: str) -> int:
    """The exit status of ``audit projections``."""
    try:
        with psycopg.connect(database_url) as conn:
            cur = conn.execute(
                "SELECT to_regclass(%s) IS NOT NULL, to_regclass('projection_generations')"
                " IS NOT NULL",
                (TABLE,),
            )
            stored, projected = cur.fetchone() or (False, False)
    except psycopg.OperationalError as error:
        print(f"carecoord audit projections: {logs.database_failure(error)}",
              file=sys.stderr)  # fmt: skip
        return CANNOT_CHECK
    if not (stored and projected):  # each named: a store alone was said to be none
        missing = "no read models beside its event store" if stored else "no event store"
        print(
            f"carecoord audit projections: {missing} in this database (the platform makes"
            " them when it first starts; `carecoord project` makes the read models)",
            file=sys.stderr,
        )
        return CANNOT_CHECK
    settings = Settings().model_copy(update={"database_url": database_url})
    started = time.perf_counter()
    try:
        store = EventStore(env=store_env(settings))  # opening it asks the database too
        try:
            with meter("deriving the read models") as shown:
                found = asyncio.run(_derive(store, database_url, shown))
        finally:
            store.close()
    except (*CANNOT_DERIVE, VerificationRunning) as error:
        print(f"carecoord audit projections: {_cannot_derive(error)}", file=sys.stderr)
        return CANNOT_CHECK
    except Exception as error:  # a standby, a user that may only read: a traceback, exit 1
        if not audit_export.writes_refused(error):
            raise
        print(f"carecoord audit projections: {READ_ONLY}", file=sys.stderr)
        return CANNOT_CHECK
    seconds = time.perf_counter() - started
    if args.json:
        said(json.dumps(projections_json(found, seconds), indent=2))
    else:
        said(describe_projections(found, seconds))
    if any(v.differs for v in found):
        return BROKEN
    return INTACT if all(v.intact for v in found) else CANNOT_CHECK


CANNOT_DERIVE = (
    ValueError,  # an event does not decode: malformed, a wrong key
    LookupError,
    psycopg.errors.UndefinedTable,  # a rebuild switched and dropped it
    *logs.DATABASE_LOST,  # lost partway: not a difference, as 1 would say
)
READ_ONLY = (
    "the database takes no writes (a standby, or a user that may only read): the read"
    " models are derived into scratch tables; check against the primary, as a user that"
    " may create tables"
)


def _cannot_derive(error: Exception) -> str:
    """Why the read models were not compared, in one line without content."""
    if isinstance(error, VerificationRunning):
        return "another verification of the read models is running; check again once it is done"
    if isinstance(error, psycopg.errors.UndefinedTable):
        went = error.diag.message_primary or type(error).__name__  # not its quoted query
        return f"a read model's table went: {went}; check again"
    if isinstance(error, logs.DATABASE_LOST):
        return f"lost the database partway: {logs.one_line(error)}; nothing was checked"
    return f"cannot derive the read models: {logs.withheld(error) or error}"


async def _derive(store: EventStore, database_url: str, shown: Meter) -> list[Verified]:
    def compared(verified: Verified) -> None:
        shown.note(f"  {verified.name}: {_verdict(verified)}")

    async with AsyncConnectionPool(database_url, min_size=1, max_size=4, open=False) as pool:
        return await verify_all(store, pool, READ_MODELS, on_progress=shown, on_verified=compared)


def describe_projections(found: list[Verified], seconds: float) -> str:
    events = max((v.events for v in found), default=0)
    same = sum(v.intact for v in found)
    lines = [
        f"read models derived afresh from {events:,} events and compared in {seconds:.1f} s"
        f" ({events / seconds if seconds else 0:,.0f} events/s): {same} of {len(found)} the same"
    ]
    for v in found:
        lines.append(f"  {v.name:<20} {_verdict(v)}")
        if not v.judged:
            continue
        if v.ahead:
            lines.append(
                f"    the model: live position {v.live_position:,} past the store's head"
                f" {v.store_head:,} (set by hand: the projector would apply nothing up to it)"
            )
        lines += [
            f"    {f'client {d.client_id}' if d.client_id else 'the model'}:"
            f" live {_rows(d.live_rows)} (digest {d.live_digest or '-'}),"
            f" derived {_rows(d.derived_rows)} (digest {d.derived_digest or '-'})"
            for d in v.differences
        ]
    return "\n".join(lines)


def _verdict(v: Verified) -> str:
    """A model's line: its counts and digest when the live and derived ones are the same,
    each side's, named, when they differ (the derived counts alone, unnamed, read as the
    live model's)."""
    if not v.judged and v.built_with > v.derived_with:
        return (
            f"CANNOT JUDGE built by version {v.built_with} of it, a later one than this code's"
            f" {v.derived_with}: check it with the release that built it"
        )
    if not v.judged:
        return (
            f"CANNOT JUDGE built by version {v.built_with} of it, an earlier one than this"
            f" code's {v.derived_with}, and {len(v.differences)} differing where the versions"
            " may derive otherwise: check it once this release's projector has rebuilt it"
            " (it does as it starts), or with the release that built it"
        )
    if v.intact:
        return f"same     {_held(v.rows, v.clients)}, digest {v.live_digest}"
    ahead = ", its position ahead of the store" if v.ahead else ""
    return (
        f"DIFFERS  {len(v.differences)} differing{ahead};"
        f" live {_held(v.live_rows, v.live_clients)}, digest {v.live_digest};"
        f" derived {_held(v.rows, v.clients)}, digest {v.derived_digest}"
    )


def _held(rows: int, clients: int) -> str:
    return f"{_rows(rows)}, {clients:,} client{'s' * (clients != 1)}"


def _rows(rows: int) -> str:
    return f"{rows:,} row{'s' * (rows != 1)}"


def projections_json(found: list[Verified], seconds: float) -> dict[str, object]:
    events = max((v.events for v in found), default=0)
    return {
        "intact": all(v.intact for v in found),
        "events": events,
        "seconds": round(seconds, 3),
        "eventsPerSecond": round(events / seconds) if seconds else 0,
        "models": [v.as_json() for v in found],
    }


def describe(report: Report, *, anchored: bool) -> str:
    rate = f"{report.checked:,} events in {report.seconds:.2f} s ({report.rate:,.0f} events/s)"
    lines = []
    broken = report.broken
    if broken is None:
        lines.append(f"event chain intact ({report.chain}): {rate}")
    else:
        lines.append(f"event chain BROKEN at position {broken.position}: {broken.verdict}")
        lines.append(f"  {_printable(broken.message)}")
        if broken.aggregate_id is not None:
            topic = _printable(str(broken.topic))
            lines.append(f"  aggregate {broken.aggregate_id} version {broken.version} ({topic})")
        lines.append(f"  expected {broken.expected}")
        lines.append(f"  found    {broken.found}")
        lines.append(f"  checked before it: {rate}")
    lines.append(f"head: position {report.head_position} hash {report.head_hash.hex()}")
    if anchored:
        lines.append(f"anchors matched: {report.anchors_checked}")
    return "\n".join(lines)


def describe_access_log(logged: access_log.Verification | None) -> str:
    """The access log's walk, by entry numbers and hashes: its break's message names the
    entry and the rule, never what was read."""
    if logged is None:
        return "access log: none in this database"
    checked = f"{logged.checked:,} entries"
    if logged.unchained:
        checked += f" ({logged.unchained:,} from before the chain, unchecked)"
    broken = logged.broken
    if broken is None:
        lines = [f"access log intact ({ACCESS_CHAIN}): {checked}"]
    else:
        lines = [
            f"access log BROKEN at entry {broken.seq}: {broken.rule}",
            f"  {broken.message}",
            f"  checked before it: {checked}",
        ]
    lines.append(f"access log head: entry {logged.head_seq} hash {logged.head_hash.hex()}")
    return "\n".join(lines)


def access_log_json(logged: access_log.Verification | None) -> dict[str, object] | None:
    if logged is None:
        return None
    broken = logged.broken
    return {
        "intact": broken is None,
        "chain": ACCESS_CHAIN,
        "checked": logged.checked,
        "unchained": logged.unchained,
        "headSeq": logged.head_seq,
        "headHash": logged.head_hash.hex(),
        "broken": None
        if broken is None
        else {"seq": broken.seq, "rule": broken.rule, "message": broken.message},
    }


def _printable(text: str) -> str:
    """Text read from an altered row or an anchors file, with what a terminal acts on escaped:
    the tamperer chose it, and an escape sequence could erase the BROKEN line it is under."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
