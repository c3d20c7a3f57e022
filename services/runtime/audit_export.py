"""``carecoord audit export``: a client's record, or a program's for a period of recording
time, as JSON Lines of events or a FHIR R4 Bundle, read from the event store (docs/access.md,
"Exporting the record").

It needs only the database (``DATABASE_URL``, and ``CARECOORD_CIPHER_KEY`` when bodies are
encrypted). Whoever runs it holds the database's credentials, so no token proves who they
are: the access log records the user named by ``--as``, in the auditor role, with the
operation ``auditExport (command line)``, one entry per client exported. The entries are
stored before anything is written out; if they cannot be, nothing is. An export then not
written out (a full disk, a device that refuses it) is marked so by a second entry per
client under the same correlation id, refused ``export-not-written``: the first alone read as
a disclosure made, which 42 CFR Part 2's accounting of disclosures would then list.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import NamedTuple, TextIO
from uuid import UUID, uuid4

import psycopg
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Actor, Role
from carecoord.events.access import ClientRecordRead
from carecoord.events.envelope import ACTOR_ID_MAX
from carecoord.projections.audit import settling
from carecoord.projections.audit.export import RECORDS_BEGIN, Format, Period
from carecoord.projections.audit.history import Unreadable, client_pages, program_clients
from carecoord.services.gate.gate import read_entry
from carecoord.services.gate.suspensions import suspended_records
from carecoord.services.infrastructure import access_log
from carecoord.services.infrastructure.access_log import AccessLog
from carecoord.services.infrastructure.chain_verification import verify_client
from carecoord.services.infrastructure.event_chain import TABLE
from carecoord.services.infrastructure.identity import PROGRAM_MAX, names_a_program
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.infrastructure.store import EventStore, store_env
from carecoord.services.kernel.errors import Altered, InvalidInput, Unavailable
from carecoord.services.kernel.platform_ids import reserved
from carecoord.services.kernel.policy import Grant, Listing, Standing, decide, team_only
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.user_ids import mistakable
from carecoord.services.kernel.visible_names import site_named
from carecoord.services.runtime import logs, output_files
from carecoord.services.runtime.export_stream import Tally, write_fhir, write_jsonl
from carecoord.services.runtime.meter import meter
from carecoord.services.runtime.output_files import (
    closed_at_start,
    in_place,
    open_device,
    whole,
)
from carecoord.services.users.access import access_record

OPERATION = "auditExport (command line)"
EXPORTED, NOT_INTACT, NOT_EXPORTED = 0, 1, 2
"""Written; written, but a client's events no longer hold to the hash chain (as ``audit
verify`` exits 1 at a break); not written."""


NOT_WRITTEN = "export-not-written"
"""The refusal of the entries that mark an export logged but not written out."""


class Exported(NamedTuple):
    """An export made and logged: whether its clients' events hold to the chain, and the
    stamp and clients of its access-log entries (to mark them if it is not written out)."""

    intact: bool
    stamp: Stamp
    clients: tuple[UUID, ...]


class Unknown(Exception):
    """What ``--client`` or ``--program`` names is not in the store (or there is no store):
    an export of it would read as a record with nothing in it."""


class Suspended(Exception):
    """The user named by ``--as`` is suspended: the API refuses them everything."""


def arguments(export: argparse.ArgumentParser) -> None:
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--client", type=UUID, help="one client's whole record")
    which.add_argument("--program", type=_program, help="every client enrolled in this program")
    export.add_argument(
        "--from", dest="recorded_from", type=_aware, help="recorded at or after (ISO 8601, offset)"
    )
    export.add_argument("--to", dest="recorded_to", type=_aware, help="recorded before")
    export.add_argument("--format", choices=[f.value for f in Format], default=Format.JSONL.value)
    export.add_argument(
        "--out",
        type=_out,
        default=None,
        help="a file, readable by you alone (default, or -: stdout)",
    )
    export.add_argument(
        "--as",
        dest="auditor",
        type=_user,
        required=True,
        help="your user id, recorded in the access log as the auditor who exported",
    )


def run(args: argparse.Namespace, database_url: str) -> int:
    """The exit status of ``audit export``."""
    refused = _refused(args)
    if refused:
        print(f"carecoord audit export: {refused}", file=sys.stderr)
        return NOT_EXPORTED
    _settle(Period(args.recorded_from, args.recorded_to))
    exported: Exported | None = None
    try:
        if args.out is not None and in_place(args.out):
            # Readable by its owner alone: a client's Part 2 record is not for every user.
            with whole(args.out, mode=0o600) as file:
                exported = _made(args, database_url, file)
            return EXPORTED if exported.intact else NOT_INTACT
        spool, exported = _spooled(args, database_url)
    except NotMade:
        return NOT_EXPORTED
    except OSError as failed:  # a place only the open finds closed (/proc), a full disk
        _cannot_write(args.out or "a temporary file", failed, database_url, exported)
        return NOT_EXPORTED
    with spool:
        try:
            copied = _copied(spool, args.out)
        except OSError as failed:
            if args.out is not None:  # a device: /dev/full
                _cannot_write(args.out, failed, database_url, exported)
                return NOT_EXPORTED
            if not isinstance(failed, BrokenPipeError):  # its reader had what it read
                print(f"carecoord audit export: {_marked_not_written(database_url, exported)}",
                      file=sys.stderr)  # fmt: skip
            raise  # stdout's: the command line says it
    return NOT_INTACT if copied == EXPORTED and not exported.intact else copied


def _settle(period: Period) -> None:
    """Wait, saying so, until every event recorded in a period that ended a moment ago is
    committed (``settling.py``): read before, the store may lack one stamped just before
    its end, which the next period's export would not hold either."""
    retry = settling.until(period, datetime.now(UTC))
    if retry is None:
        return
    print(
        f"carecoord audit export: --to ended less than {settling.SETTLE.seconds} s ago;"
        f" waiting until {retry.isoformat()} for what was recorded just before it to be"
        " committed",
        file=sys.stderr,
        flush=True,
    )
    time.sleep(max(0.0, (retry - datetime.now(UTC)).total_seconds()))


class NotMade(Exception):
    """The export was not made, and why was said: what was written of it goes."""


def _cannot_write(
    where: object, failed: OSError, database_url: str, exported: Exported | None
) -> None:
    """Say that ``where`` could not be written, on one line, and how the access log says it:
    an export already logged (``exported``) is marked ``NOT_WRITTEN``."""
    marked = "" if exported is None else f"; {_marked_not_written(database_url, exported)}"
    said = f"cannot write {output_files.shown(where)}: {failed.strerror}{marked}"
    print(f"carecoord audit export: {said}", file=sys.stderr)


def _marked_not_written(database_url: str, exported: Exported) -> str:
    """Mark the logged export not written out, one entry per client; what became of it."""
    refusal = Unavailable("", NOT_WRITTEN, "the export was not written out")
    entries = [
        read_entry(exported.stamp, client, OPERATION, refusal=refusal)
        for client in exported.clients
    ]
    logged = f"its access-log entries (correlation id {exported.stamp.correlation_id})"
    try:
        asyncio.run(_logged(database_url, entries))
    except logs.DATABASE_LOST as error:
        return (
            f"{logged} read as an export made and could not be marked {NOT_WRITTEN}:"
            f" {logs.database_failure(error)}"
        )
    return f"{logged} are marked {NOT_WRITTEN}"


async def _logged(database_url: str, entries: list[ClientRecordRead]) -> None:
    async with AsyncConnectionPool(database_url, min_size=1, max_size=1, open=False) as pool:
        await _append(pool, entries)


def _spooled(args: argparse.Namespace, database_url: str) -> tuple[TextIO, Exported]:
    """The export in an unnamed file, for stdout or a device: copied out only once the
    access log holds the export; and whether its clients' events hold to the chain."""
    spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 -- the caller closes it
    try:
        exported = _made(args, database_url, spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool, exported


def _copied(spool: TextIO, out: Path | None) -> int:
    """Copy the export to the device ``out`` (``OSError`` if it cannot take it), or to
    stdout; the exit status. A write to stdout that fails (its reader gone, a full disk) is
    the command line's to say."""
    if out is not None:
        with open_device(out) as device:
            return _out_whole(spool, device)
    return _out_whole(spool, sys.stdout)


def _out_whole(spool: TextIO, out: TextIO) -> int:
    """Copy the export to ``out``; the exit status. Interrupted, part of it may be out (a
    pipe's reader has had what it holds), on stdout as on a device (``--out /dev/stdout``,
    which said "nothing was written")."""
    try:
        shutil.copyfileobj(spool, out)
        out.flush()
    except KeyboardInterrupt:
        print("carecoord audit export: interrupted while writing; the output is incomplete",
              file=sys.stderr)  # fmt: skip
        return NOT_EXPORTED
    return EXPORTED


def _made(args: argparse.Namespace, database_url: str, out: TextIO) -> Exported:
    """Write the export to ``out``, its reads logged, and say whether its clients' events
    hold to the chain; ``NotMade`` once why it could not be made is said."""
    settings = Settings().model_copy(update={"database_url": database_url})
    try:
        if not _has_a_store(database_url):  # the store's own setup would make one there
            raise Unknown(
                "no event store in this database (the platform makes it when it first starts)"
            )
        store = EventStore(env=store_env(settings))
        try:
            return asyncio.run(export(store, database_url, args, settings.program_time_zone, out))
        finally:
            store.close()
    except logs.DATABASE_LOST as error:
        why = logs.database_failure(error)
    except (Unknown, Suspended) as refused:
        why = str(refused)
    except (ValueError, LookupError) as error:  # an event does not decode: altered, a wrong key
        where, cause = (
            (f"the event at position {error.position} does not decode: ", error.cause)
            if isinstance(error, Unreadable)
            else ("", error)
        )
        why = (
            f"cannot read the record: {where}{logs.withheld(cause) or cause};"
            " carecoord audit verify names an altered event"
        )
    except Altered as altered:  # a logged read a FHIR export carries no longer reads as one
        why = str(altered)
    except Exception as error:
        if not writes_refused(error):
            raise
        why = (
            "the database takes no writes (a standby, or a user that may only read), and an"
            " export is recorded in its access log before it is written out; export from"
            " the primary, as a user that may write the access log"
        )
    print(f"carecoord audit export: {why}", file=sys.stderr)
    raise NotMade


WRITES_REFUSED = (psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege)


def writes_refused(error: BaseException) -> bool:
    """Whether ``error`` is the database refusing a write, or the event store's library's
    own error for it (it wraps the driver's): a standby, or a user that may only read.
    Each ended an audit command in a traceback, exit 1."""
    return isinstance(error, WRITES_REFUSED) or isinstance(error.__cause__, WRITES_REFUSED)


def _has_a_store(database_url: str) -> bool:
    """Whether the database holds the event store. Asked first, as ``verify`` and
    ``projections`` ask it: opening the store makes its tables, triggers and functions,
    and an export pointed at the wrong database (one without the schema) left them there,
    said that no client was enrolled, and ``audit verify`` then found an intact empty chain."""
    with psycopg.connect(database_url) as conn:
        found = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()
    return bool(found and found[0])


async def export(
    store: EventStore, database_url: str, args: argparse.Namespace, zone: tzinfo, out: TextIO
) -> Exported:
    """Write the export to ``out`` a page of the store at a time (``export_stream``), then
    record an access-log entry for each client in it; a FHIR Bundle's dates are days of the
    program's time zone ``zone``. The caller puts ``out`` in view only after this returns.
    Whether each client's events still hold to the hash chain: the lines carry no link of
    it, so no one can check them against it once they are out (docs/access.md)."""
    auditor = Actor(id=args.auditor, role=Role.AUDITOR)
    team_only(auditor.role, Listing.RECORD_EXPORT)  # the same table the API's gate reads
    await _not_suspended(store, database_url, auditor.id)
    grant = decide(auditor.role, Standing())
    period = Period(args.recorded_from, args.recorded_to)
    if period.end is not None:  # what is storing events stamped before its end (_settle)
        await asyncio.to_thread(store.writers_done)
    if args.client is not None:
        clients = [args.client]
        if not await asyncio.to_thread(_stored, store, args.client):
            raise Unknown(f"no event of client {args.client} is stored")
    else:
        clients = await asyncio.to_thread(program_clients, store, args.program)
        if not clients:
            raise Unknown(f"no client is enrolled in program {args.program!r}")
    async with AsyncConnectionPool(database_url, min_size=1, max_size=2, open=False) as pool:
        async with pool.connection() as conn:
            await access_log.ensure_table(conn)
        if Format(args.format) is Format.JSONL:
            with meter("reading the record", unit="positions") as shown:  # the store's
                tallies = await asyncio.to_thread(
                    write_jsonl, store, clients, grant, auditor, period, out, shown
                )
        else:
            with meter("reading the record", unit="clients") as shown:  # a program's: minutes
                tallies = await write_fhir(
                    store, pool, clients, grant, auditor, period, zone, out, shown
                )
        out.flush()
        intact = await _intact(pool, clients)
        stamp = await _log(pool, auditor, grant, tallies)  # its line is the last before out
        return Exported(intact, stamp, tuple(tallies))


async def _intact(pool: AsyncConnectionPool, clients: list[UUID]) -> bool:
    """Whether every client's events hold to the chain, each break said on stderr by
    position, verdict and ids: the record as stored now is not the record as written."""
    intact = True
    async with pool.connection() as conn:
        for client in clients:
            broken = (await verify_client(conn, client)).broken
            if broken is not None:
                intact = False
                print(
                    f"carecoord audit export: client {client}'s record is not intact, so"
                    f" neither is its export: {broken.verdict} at event {broken.position}:"
                    f" {broken.message} (carecoord audit verify walks the whole store)",
                    file=sys.stderr,
                )
    return intact


async def _not_suspended(store: EventStore, database_url: str, user_id: str) -> None:
    """Refuse the export to a user a program admin suspended, as the API refuses them every
    request (``user-suspended``): whoever holds the database's credentials names them by
    ``--as``, and their suspension is not to be side-stepped by the command line."""
    record = access_record(user_id)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        if record in (await suspended_records(conn, store, frozenset({record}))).records:
            raise Suspended(
                f"user {user_id} is suspended (user-suspended): no export is made as them;"
                " a program admin reinstates them"
            )


def _stored(store: EventStore, client: UUID) -> bool:
    """Whether any event of the client is stored."""
    return next(client_pages(store, client, 1), None) is not None


async def _log(
    pool: AsyncConnectionPool, auditor: Actor, grant: Grant, tallies: dict[UUID, Tally]
) -> Stamp:
    """Log the export's reads, one entry per client; the stamp they carry."""
    stamp = Stamp(auditor, correlation_id=uuid4())
    await _append(
        pool,
        [
            read_entry(stamp, client, OPERATION, grant=grant, kinds=tally.kinds, count=tally.count)
            for client, tally in tallies.items()
        ],
    )
    print(
        f"access log: {len(tallies)} entries as {auditor.id} (auditor),"
        f" correlation id {stamp.correlation_id}",
        file=sys.stderr,
    )
    return stamp


async def _append(pool: AsyncConnectionPool, entries: list[ClientRecordRead]) -> None:
    # A bulk disclosure from a process about to exit: each entry flushed before the file.
    writer = AccessLog(pool, flush="flushed")
    writing = asyncio.create_task(writer.run())
    try:
        await asyncio.gather(*(writer.append(entry) for entry in entries))
    finally:
        writing.cancel()


def _refused(args: argparse.Namespace) -> str | None:
    """Why the export is refused before the access log records it: a period that holds
    nothing (--from and --to swapped, --to before anything is recorded, --from to come) or
    is not over (--to to come), an ``--out`` that cannot be written."""
    start, end = args.recorded_from, args.recorded_to
    if Period(start, end).holds_nothing():
        return f"--to {end.isoformat()} is not after --from {start.isoformat()}: nothing is in it"
    if Period(start, end).ends_before_records():
        return (
            f"--to {end.isoformat()} ends before anything can be recorded"
            f" ({RECORDS_BEGIN.isoformat()}): nothing is in it; give the end of the period"
            " to export, or leave --to out for all until now"
        )
    if Period(start, end).to_come(datetime.now(UTC)):
        return (
            f"--to {end.isoformat()} is to come: the period is not over, and what is recorded"
            " in it from now on would be in neither this export nor the next, from its end"
        )
    if Period(start, end).starts_to_come(datetime.now(UTC)):
        return (
            f"--from {start.isoformat()} is to come: nothing recorded is in the period yet,"
            " and the access log would hold a read of each client of it"
        )
    if args.out is None and closed_at_start(sys.stdout):
        return (
            "standard output is closed: nothing would receive the record, yet the access log"
            " would hold it as exported; give --out FILE"
        )
    unwritable = _unwritable(args.out)
    return f"cannot write {output_files.shown(args.out)}: {unwritable}" if unwritable else None


def _unwritable(out: Path | None) -> str | None:
    """Why ``out`` cannot be written, if it cannot (None: stdout, or a file it can). A path
    no file can have (a name too long, a folder that may not be searched) is said so: asked
    whether it was a folder, it raised, a traceback."""
    if out is None:
        return None
    try:
        return _unwritable_file(out)
    except OSError as failed:
        return (failed.strerror or type(failed).__name__).lower()


def _unwritable_file(out: Path) -> str | None:
    if out.is_dir():
        return "a folder"
    if in_place(out) and out.is_file() and out.stat().st_uid != os.geteuid():
        # Root may write it, or anyone through its mode: 0600 would leave it theirs to read.
        return "another user owns it and could read the record"
    if out.exists() and not os.access(out, os.W_OK):
        return "not writable"
    if not in_place(out):  # a device, a pipe, a descriptor's file: written in place
        return None
    # Written beside it first, then renamed over it (output_files.py): its folder is written.
    folder = Path(os.path.realpath(out)).parent
    return None if os.access(folder, os.W_OK) else "no writable folder"


def _user(value: str) -> str:
    """An id the access log can name as the auditor: what a token's subject may be."""
    if not value or len(value) > ACTOR_ID_MAX or not value.isprintable():
        raise argparse.ArgumentTypeError(f"printable text of 1 to {ACTOR_ID_MAX} characters")
    why = mistakable(value) or reserved(value)
    if why is not None:
        raise argparse.ArgumentTypeError(why)
    return value


def _program(value: str) -> str:
    """A program's name (``names_a_program``): no client is enrolled in any other. Read as
    an enrolment reads it (``site_named``: trimmed, one way of writing it), as the API's
    export reads it: " OTP " was no program of the store's."""
    if not names_a_program(value):
        raise argparse.ArgumentTypeError(f"printable text of 1 to {PROGRAM_MAX} characters")
    try:
        return site_named("--program", value)
    except InvalidInput as unread:
        raise argparse.ArgumentTypeError(unread.message) from None


def _aware(value: str) -> datetime:
    """An ISO 8601 time with its UTC offset, said as such when it is not: argparse said
    "invalid _aware value" (this function's name), and an offset past a day quoted Python's
    own ``timedelta(days=1, seconds=3600)``."""
    shown = repr(value) if len(value) <= 80 else f"{value[:80]!r}..."
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{shown} is not an ISO 8601 time with its offset, e.g. 2026-12-01T00:00Z (a valid"
            " date and time, and an offset of at most 23:59 either way)"
        ) from None
    if found.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{shown} has no UTC offset; add one, e.g. Z")
    return found


def _out(value: str) -> Path | None:
    """The file to write; ``-`` is standard output, as the default, as other tools have it
    (it wrote a file named ``-``)."""
    return None if value == "-" else Path(value)
