"""The carecoord command: run the platform (whole or by part), tail events, issue tokens,
rebuild a read model, export the GraphQL schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import json
import logging
import math
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import nats.errors
import uvicorn
from dotenv import dotenv_values
from nats.aio.msg import Msg
from nats.js.errors import BadRequestError, NotFoundError
from pydantic import AliasChoices, ValidationError

from carecoord.events import Role
from carecoord.events.consent import Recipient, RecipientType
from carecoord.projections.models import READ_MODELS, share
from carecoord.projections.rebuild import RebuildRunning, rebuild
from carecoord.services.infrastructure.broker import StreamRefused, declare_stream, ensure_stream
from carecoord.services.infrastructure.chain_anchors import AnchorFileUnusable, check_anchor_file
from carecoord.services.infrastructure.doorbell import Doorbell
from carecoord.services.infrastructure.identity import (
    TokenKeysUnusable,
    identity_of,
    issue_token,
    key_source,
)
from carecoord.services.infrastructure.liveness import error_code
from carecoord.services.infrastructure.relay import POSITION_HEADER, Relay
from carecoord.services.infrastructure.republish import republish_parked
from carecoord.services.infrastructure.server_urls import nats_servers
from carecoord.services.infrastructure.settings import (
    ENV_FILE,
    TAIL_INBOX,
    Settings,
    interface_refusal,
)
from carecoord.services.infrastructure.stream_reader import HeaderTolerantClient, OrderedReader
from carecoord.services.kernel import visible_names
from carecoord.services.kernel.errors import InvalidInput, Unauthenticated
from carecoord.services.platform import Platform
from carecoord.services.runtime import (
    audit_cli,
    bootstrap,
    demo,
    heap,
    logs,
    output_files,
    token_suspension,
    workers,
)
from carecoord.services.runtime.bootstrap import (
    EXIT_BROKER_GONE,
    STARTUP_SECONDS,
    BrokerUnreachable,
    Servers,
    ServersNotConfigured,
    resolve_servers,
    running,
)
from carecoord.services.runtime.disclosure import RECIPIENT_ID, RECIPIENT_RULE, Forwarder
from carecoord.services.runtime.embedded import EmbeddedServerFailed
from carecoord.services.runtime.line_out import LineOut
from carecoord.services.runtime.meter import meter
from carecoord.services.runtime.option_values import Parser
from carecoord.services.runtime.output_files import nowhere, write_whole
from carecoord.services.runtime.program import ProgramFileError
from carecoord.services.runtime.session import RuntimeBroken, RuntimeTaken, Session
from carecoord.services.runtime.unread_sockets import ResetWhenUnread

DESCRIPTION = """\
carecoord: event-sourced care coordination (GraphQL API, relay to NATS, projector).

Without DATABASE_URL / NATS_URL, the first command that needs servers starts an
embedded PostgreSQL and nats-server under the data directory (.carecoord/, or
CARECOORD_DATA_DIR) and writes where they are to .carecoord/runtime.json; every other
command attaches to them while it runs. SIGINT (Ctrl-C), SIGTERM and SIGHUP stop a command
and whatever it started.
"""

EPILOG = """\
examples:
  carecoord up --demo                              the platform, with demo clients and tokens
  carecoord up --port 8080                         another port (or CARECOORD_PORT)
  carecoord token --user dr-lee --role prescriber  a development token
  carecoord tail --new                             events as the relay publishes them
  carecoord audit verify --anchors FILE            check the event chain (exit 1 if broken)
  carecoord audit projections                      derive every read model afresh and compare

exit status:
  0   done; up, api, relay, project, tail and disclose also when stopped by SIGINT, SIGTERM
      or SIGHUP
  1   could not go on: a database out of reach, an embedded server, the stream or the
      program file refused, the servers it attached to stopped, a rebuild interrupted or
      already running, a relay --republish-parked with events still refused, an up whose
      data directory's servers another command runs; audit: a broken chain, a read model
      that differs
  2   a wrong argument (a tail --subject off the stream too) or setting, an unusable data
      directory or key, output that cannot be written; audit: cannot check (no database,
      interrupted before its verdict: Ctrl-C after it leaves its status)
  75  NATS out of reach at start, or its connection gave up: start the command again
  130 Ctrl-C (SIGINT) as it starts, before the command takes it in hand: one line, then it
      ends by SIGINT, as standard tools do (the shell says 130)
  141 its reader left (carecoord audit projections | head -1): it stops by SIGPIPE, quietly,
      as standard tools do (the shell says 141), once it has cleaned up
  143 SIGTERM as it starts, before the command takes it in hand: one line, then it ends
      by SIGTERM (the shell says 143); no server was started yet
"""

log = logging.getLogger("carecoord.cli")

GRACEFUL_SHUTDOWN_SECONDS = 2
"""How long the API lets open requests and subscriptions finish when it is stopped."""
ATTACHED_GRACE_SECONDS = 3.0
"""How long an attached command may take to stop once the servers it used are gone."""
OWNER_GRACE_SECONDS = 6.0
"""How long a command may take to stop once a server it started has died."""
LONGEST_TOKEN_HOURS = 24 * 366
"""A development token's longest lifetime: a year (an absurd one overflowed the clock)."""
SHORTEST_TOKEN_HOURS = 1 / 60
"""A development token's shortest lifetime: a minute (0.001 lived 4 s, 1e-9 none at all)."""
MOST_WORKERS = 4 * (os.cpu_count() or 1)
"""The most API processes ``--workers`` starts: each is CPU-bound Python holding its own
database pool, so beyond a few per CPU they add only memory and connections (a typo of 1000
forked 1000)."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
"""The ``--log-level`` names."""
RUNS_THE_PLATFORM = ("up", "api", "relay", "project", "disclose", "rebuild")
"""The commands that build the platform, which checks tokens with the signing key."""
RUNS_THE_RELAY = ("up", "relay")
"""The commands whose process anchors the event chain to its file."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""What stops a command in order (its teardown, the relay's last chain anchor): Ctrl-C, a
service manager's stop, and a hangup (the terminal or the SSH session it ran in closed),
which by default ended the process where it stood. Nothing is reloaded on SIGHUP: the
settings are read once, at start."""
TOKEN_ARGUMENTS = {"token-subject": "--user", "token-role": "--role", "token-program": "--program"}
"""The ``token`` argument each of the API's refusal rules is about."""


def arguments() -> argparse.ArgumentParser:
    parser = Parser(
        prog="carecoord",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,  # debug as DEBUG; a name logging lacks was a traceback
        choices=LOG_LEVELS,
        metavar="LEVEL",
        help=f"{', '.join(LOG_LEVELS)} (default INFO), in either case",
    )
    commands = parser.add_subparsers(dest="command", metavar="command")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=text)

    up = command("up", "the API, the relay and the projector in one process (the default)")
    up.add_argument("--demo", action="store_true", help="load example clients, print tokens")
    api = command("api", "the GraphQL API only")
    host, port = Settings.model_fields["host"].default, Settings.model_fields["port"].default
    for serving in (up, api):
        serving.add_argument(
            "--host",
            default=None,
            type=interface,
            help=f"interface to listen on (default: CARECOORD_HOST, else {host})",
        )
        serving.add_argument(
            "--port",
            type=port_number,
            default=None,
            help=f"port (default: CARECOORD_PORT, else {port})",
        )
    api.add_argument(
        "--workers",
        type=worker_count,
        default=1,
        help=f"API processes sharing the port, 1 to {MOST_WORKERS}: 4 per CPU, as each is"
        " CPU-bound and holds its own database connections (default 1)",
    )
    relay = command("relay", "the outbox relay only (store to NATS)")
    relay.add_argument(
        "--republish-parked",
        action="store_true",
        help="publish the events the relay set aside (parked_events) again, now the broker"
        " takes them, and exit (1 if any is still refused)",
    )
    project = command("project", "the projector only (the store to the read models)")
    project.add_argument(
        "--share",
        default=None,
        type=_share,
        help="K/N: this process keeps the K-th of N shares of the read models, for N projector "
        "processes (default: CARECOORD_PROJECTOR_SHARE, else all of them)",
    )
    tail = command("tail", "print events from the broker as they arrive, one JSON line each")
    tail.add_argument("--subject", default=None, help="subject filter (default: all care events)")
    tail.add_argument("--new", action="store_true", help="only events published from now on")
    disclose = command(
        "disclose", "forward consented events to an outside recipient (docs/access.md)"
    )
    disclose.add_argument(
        "--recipient", required=True, type=recipient_id, help="the consent's organization id"
    )
    disclose.add_argument(
        "--name", default="", type=recipient_name, help="the recipient's name, for the record"
    )
    disclose.add_argument(
        "--from-start",
        action="store_true",
        help="on the first run, also events before now (later runs go on where the last stopped)",
    )
    rebuild_cmd = command("rebuild", "rebuild a read model from the store while the platform runs")
    rebuild_cmd.add_argument("model", choices=[m.NAME for m in READ_MODELS])
    token = command("token", "issue a development token (signed with the data directory's key)")
    token.add_argument("--user", required=True, help="the subject: a user id, or a client id")
    token.add_argument(
        "--role",
        required=True,
        action="append",
        choices=[r.value for r in Role if r is not Role.SYSTEM],
        help="repeat for a user who holds several roles; a client's --user is their client id",
    )
    token.add_argument(
        "--hours",
        type=_hours,
        default=12.0,
        help=f"lifetime, from 1 minute ({SHORTEST_TOKEN_HOURS:.3f}) to {LONGEST_TOKEN_HOURS:,}"
        " (366 days); default 12",
    )
    token.add_argument(
        "--program",
        default=None,
        help="the one program: an admin's or auditor's scope; others keep its stock site,"
        " enroll into it and break the glass on its clients only",
    )
    audit_cli.arguments(
        command("audit", "auditors' checks: the event chain, the read models; exports")
    )
    schema = command("schema", "write the GraphQL SDL (graphql/schema.graphql)")
    schema.add_argument("--output", type=Path, default=None, help="another file, or - for stdout")
    schema.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    return parser


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = math.nan
    if not math.isfinite(hours):
        why = "not a number of hours"
    elif hours < SHORTEST_TOKEN_HOURS:
        why = "under a minute: the token would expire before it is used"
    elif hours > LONGEST_TOKEN_HOURS:
        why = "over a year: longer than a development token lives"
    else:
        return hours
    raise argparse.ArgumentTypeError(
        f"{text} is {why}; give 1 minute ({SHORTEST_TOKEN_HOURS:.3f}) to"
        f" {LONGEST_TOKEN_HOURS:,} hours (366 days)"
    )


def _share(spec: str) -> str:
    try:
        share(spec)
    except ValueError as wrong:
        raise argparse.ArgumentTypeError(str(wrong)) from None
    return spec


def settings_or_exit() -> Settings:
    """The settings, or exit 2 naming each wrong variable and why, never its value (which
    may be a secret): a traceback said as much, with the value."""
    try:
        return Settings()
    except ValidationError as wrong:
        for error in wrong.errors():
            name = "_".join(str(part) for part in error["loc"]).upper()  # an alias: in full
            name = name if name.startswith("CARECOORD_") else f"CARECOORD_{name}"
            print(f"carecoord: {variable_set(name)}: {error['msg']}", file=sys.stderr)
    except UnicodeDecodeError as wrong:  # the working directory's .env: a traceback
        byte = wrong.object[wrong.start : wrong.start + 1].hex()
        print(
            f"carecoord: {os.path.abspath(ENV_FILE)}: not UTF-8 text (byte 0x{byte} at offset"
            f" {wrong.start}); save it as UTF-8, or move it away",
            file=sys.stderr,
        )
    except OSError as failed:  # .env there and unreadable
        print(f"carecoord: {os.path.abspath(ENV_FILE)}: {failed.strerror}", file=sys.stderr)
    raise SystemExit(2)


def variable_set(name: str) -> str:
    """Of the names of one setting (CARECOORD_DATABASE_URL, DATABASE_URL), the one the
    environment or .env sets: the first was named, which whoever set DATABASE_URL never
    wrote."""
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else []
        if name in names:
            given = {**dotenv_values(ENV_FILE), **os.environ}
            return next((n for n in names if isinstance(n, str) and given.get(n)), name)
    return name


@contextlib.contextmanager
def data_dir_refused(settings: Settings) -> Iterator[None]:
    """A data directory that cannot be made or written (CARECOORD_DATA_DIR naming a file, a
    path under one, a read-only place) stops the command with one line and exit 2, naming
    the variable: each was a traceback. Other errors pass."""
    try:
        yield
    except OSError as failed:
        data_dir = Path(os.path.abspath(settings.data_dir))
        where = Path(os.path.abspath(failed.filename)) if failed.filename else None
        if where is None or not (where.is_relative_to(data_dir) or data_dir.is_relative_to(where)):
            raise
        wrong = (
            "not a directory"
            if isinstance(failed, (FileExistsError, NotADirectoryError))
            else (failed.strerror or type(failed).__name__).lower()
        )
        # A file of its own (jwt.key a folder) is named: the folder itself was, as not one.
        used = failed.filename if where is not None and where.parent == data_dir else None
        print(
            f"carecoord: CARECOORD_DATA_DIR: cannot use {used or settings.data_dir} ({wrong});"
            " set it to a directory you can write (unset: .carecoord here)",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def interface(text: str) -> str:
    """``--host``, refused with the usage as ``CARECOORD_HOST`` is (``interface_refusal``)."""
    refused = interface_refusal(text)
    if refused is not None:
        raise argparse.ArgumentTypeError(refused)
    return text


def worker_count(text: str) -> int:
    """``--workers``, refused with the usage below 1 (0 or a negative count ran one) or above
    ``MOST_WORKERS`` (any count was forked)."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MOST_WORKERS:
        raise argparse.ArgumentTypeError(
            f"the API processes are 1 to {MOST_WORKERS} (4 per CPU), not {text}"
        )
    return count


def port_number(text: str) -> int:
    """``--port``, refused with the usage (out of range, it failed the bind in a traceback)."""
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {port}")
    return port


def recipient_id(text: str) -> str:
    """``--recipient``, refused with the usage before any server starts (it raised from
    inside the running platform, as a traceback)."""
    if not RECIPIENT_ID.match(text):
        raise argparse.ArgumentTypeError(RECIPIENT_RULE)
    return text


def recipient_name(text: str) -> str:
    """``--name``, refused with the usage before any server starts when the consent record
    cannot hold it or a reader would not see all of it (it raised from inside the running
    forwarder, as a traceback, at every disclosure)."""
    try:
        Recipient(type=RecipientType.ORGANIZATION, id="-", name=text)
    except ValidationError:
        longest = Recipient.model_fields["name"].metadata[0].max_length
        raise argparse.ArgumentTypeError(
            f"a recipient's name is at most {longest} characters"
        ) from None
    try:
        return visible_names.shown("--name", text)
    except InvalidInput as unseen:
        raise argparse.ArgumentTypeError(unseen.message) from None


OUTPUT_LOST = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
"""What writing the output meets when its reader left or its disk is full."""
EXIT_OUTPUT_LOST = 2
"""Not 1: ``audit verify`` says 1 of a broken chain, and ``projections`` of a differing model."""


def main(argv: Sequence[str] | None = None) -> None:
    with output_kept():
        command_line(argv)


@contextlib.contextmanager
def output_kept() -> Iterator[None]:
    """A command whose output cannot be written stops with exit 2 and one line saying why,
    or, when its reader left on purpose (``carecoord tail | head``), by SIGPIPE: each was a
    traceback.
    A stream closed at start (``2>&-``) is None, and the first write to it raised: it writes
    nowhere instead (``audit verify`` said 1, a broken chain), but for ``audit export``'s
    record, refused then: written nowhere, it was logged as exported, exit 0."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, nowhere())
    try:
        try:
            yield
        finally:  # what print() left in the buffer meets the same fate at exit
            sys.stdout.flush()
    except OSError as failed:
        if failed.filename is not None or failed.errno not in OUTPUT_LOST:
            raise
        with contextlib.suppress(OSError):  # the interpreter's own flush at exit: nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if isinstance(failed, BrokenPipeError):
            reader_left()
        print(f"carecoord: cannot write the output ({failed.strerror})", file=sys.stderr)
        raise SystemExit(EXIT_OUTPUT_LOST) from None


def reader_left() -> NoReturn:
    """End as standard tools end when their reader left: by SIGPIPE, 141 to a shell (exit 2
    read as an audit that could not check). Python ignores SIGPIPE, so the write raised and
    the command's teardown has run (its scratch tables dropped, its servers stopped)."""
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGPIPE)
    raise SystemExit(128 + signal.SIGPIPE)  # SIGPIPE blocked by whoever started it


def command_line(argv: Sequence[str] | None) -> None:
    workers.end_with_parent()
    args = arguments().parse_args(argv)
    logs.configure(args.log_level)
    if args.command == "schema":
        sys.exit(export_schema(args.output, check=args.check))
    settings = settings_or_exit()
    command = args.command or "up"
    if command == "token":
        with data_dir_refused(settings):
            sys.exit(print_token(settings, args))
    # Until the command runs, both stop it as Ctrl-C does; SIGINT too, explicitly: a command
    # started in the background of a script inherits SIGINT ignored, and an audit sent SIGINT
    # went on to print a verdict (the long-running commands set their own handlers as well).
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, _interrupt)
    bootstrap.statements_unbound()
    if command == "audit" and settings.database_url:  # the database alone; no broker
        sys.exit(audit_cli.run(args, settings.database_url))
    settings = command_settings(settings, args)
    if command == "tail":
        args.subject = tail_subject(settings, args.subject)
    # The API's port, taken before anything starts (and before any sibling worker binds
    # beside it): a port another process listens on stops the command at once.
    listener = listen_or_exit(settings) if serves_api(command) else None
    servers = servers_or_exit(settings, command, args)
    if servers is None:
        return
    if servers.runtime is not None:  # stop when the servers stop under the command
        runtime = servers.runtime
        runtime.watch(
            functools.partial(_server_died, command, settings, runtime)
            if runtime.owned
            else functools.partial(_leave, command)
        )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            run(command, args, settings, servers, argv, listener)
        _exit_if_server_died(command, settings, servers)
    except logs.DATABASE_LOST as error:  # not a bug of ours: say what, not where
        _exit_if_server_died(command, settings, servers)
        which = "at DATABASE_URL" if settings.database_url else f"under {settings.data_dir}"
        sys.exit(f"carecoord {command}: {logs.database_failure(error, which)}")
    except Exception:
        _exit_if_server_died(command, settings, servers)
        raise
    finally:
        for stop_signal in STOP_SIGNALS:  # stopping already; let it finish
            signal.signal(stop_signal, signal.SIG_IGN)
        servers.stop()


def command_settings(settings: Settings, args: argparse.Namespace) -> Settings:
    """The settings with the command's arguments over them; CARECOORD_PROJECTOR_SHARE is
    refused before anything starts (``--share`` is refused by argparse), exit 2, as
    ``settings_or_exit`` refuses a setting."""
    chosen = {k: getattr(args, k, None) for k in ("host", "port")}
    chosen["projector_share"] = getattr(args, "share", None)
    settings = settings.model_copy(update={k: v for k, v in chosen.items() if v is not None})
    try:
        share(settings.projector_share)
    except ValueError as wrong:
        print(f"carecoord: CARECOORD_PROJECTOR_SHARE: {wrong}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings


def tail_subject(settings: Settings, subject: str | None) -> str:
    """``tail --subject``, or every care event; one off the stream is refused before any
    server starts, exit 2 as a wrong argument (it exited 1, as a stream the broker lacks)."""
    subject = subject or f"{settings.subject_root}.>"
    if not (subject.startswith(f"{settings.subject_root}.") and is_filter(subject)):
        # Before asking: some broker versions take such a filter and deliver nothing, and
        # versions refuse a malformed one (care..x) each with an error of its own.
        subject_refused(settings, subject)
    return subject


SUBJECT_MOST = 1024
"""Characters of a subject filter at the most: the broker's control line is 4 KiB."""


def is_filter(subject: str) -> bool:
    """NATS's subject filter syntax: tokens between dots, none empty or holding a space or a
    control character, a wildcard (``*`` one token, ``>`` the rest) only as a whole token,
    ``>`` only last; and short enough to subscribe with."""
    tokens = subject.split(".")
    return (
        len(subject) <= SUBJECT_MOST
        and all(
            token
            and token.isprintable()
            and not any(c.isspace() for c in token)
            and (token in ("*", ">") or not ({"*", ">"} & set(token)))
            for token in tokens
        )
        and ">" not in tokens[:-1]
    )


def subject_refused(settings: Settings, subject: str) -> NoReturn:
    """Exit 2 naming the subjects the stream carries, and one to give."""
    root = settings.subject_root
    shown = ascii(subject)[1:-1] if len(subject) <= 80 else f"{ascii(subject[:80])[1:-1]}..."
    print(
        f"carecoord tail: argument --subject: {shown} is not a subject filter of the stream"
        f" {settings.stream_name}, which carries {root}.> (CARECOORD_SUBJECT_ROOT): give"
        f" {root}.> or a filter under it, such as {root}.medication.>",
        file=sys.stderr,
    )
    raise SystemExit(2)


def servers_or_exit(settings: Settings, command: str, args: argparse.Namespace) -> Servers | None:
    """The servers the command runs on; None when SIGINT or SIGTERM came while they started
    (an audit then exits 2: it has checked nothing). What failed, and where its log is,
    stops the command; so, exit 2 as a wrong setting, does no key to check tokens with for
    a command that runs the platform (production without CARECOORD_JWT_SECRET, a damaged
    development key, a key set that cannot be read): each was a traceback once the servers
    had started; an anchors file the relay cannot append to, retried for ever; and a
    deployed process in production without its servers named (``ServersNotConfigured``)."""
    try:
        with data_dir_refused(settings):
            if command in RUNS_THE_PLATFORM:
                bootstrap.token_verifier(settings)
            if command in RUNS_THE_RELAY:
                check_anchor_file(settings)
            return resolve_servers(settings, command)
    except (TokenKeysUnusable, AnchorFileUnusable, ServersNotConfigured) as unusable:
        print(f"carecoord: {unusable}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        if command == "audit":
            sys.exit(audit_cli.interrupted(args))
        return None
    except (RuntimeBroken, RuntimeTaken) as error:
        sys.exit(str(error))
    except EmbeddedServerFailed as error:
        sys.exit(f"carecoord: {error}")


def run(
    command: str,
    args: argparse.Namespace,
    settings: Settings,
    servers: Servers,
    argv: Sequence[str] | None,
    listener: socket.socket | None = None,
) -> None:
    if command == "tail":
        until_stopped(tail_events(settings, servers, args.subject, new_only=args.new))
    elif command == "disclose":
        until_stopped(forward_disclosures(settings, servers, args))
    elif command == "rebuild":
        until_stopped(rebuild_model(settings, servers, args.model))
    elif command == "relay" and args.republish_parked:
        until_stopped(republish_set_aside(settings, servers))
    elif command == "audit":
        sys.exit(audit_cli.run(args, servers.database_url))
    elif command == "api" and args.workers > 1 and not workers.is_sibling():
        argv_now = sys.argv[1:] if argv is None else list(argv)
        with workers.siblings(args.workers - 1, argv_now, servers) as siblings:
            until_stopped(
                serve(
                    settings,
                    servers,
                    command,
                    demo_wanted=False,
                    listener=listener,
                    siblings=siblings,
                )
            )
    else:
        demo_wanted = command == "up" and getattr(args, "demo", False)
        until_stopped(serve(settings, servers, command, demo_wanted=demo_wanted, listener=listener))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _exit_if_server_died(command: str, settings: Settings, servers: Servers) -> None:
    """Exit 1 naming the embedded server that died under this command (its owner), or
    saying that the servers it attached to have stopped: it ended as a SIGTERM ends it, and
    exited 0 with nothing said, as a command stopped on purpose does."""
    runtime = servers.runtime
    if runtime is None:
        return
    if not runtime.owned:  # one that runs until stopped, stopped by its servers' end
        gone = runtime.lost or not runtime.runtime.live()  # its watch may not have looked yet
        if command not in ("rebuild", "audit") and gone:
            sys.exit(f"carecoord {command}: stopped, the embedded servers it used have stopped")
        return
    lost = runtime.lost_server or runtime.died()  # its watch may not have looked yet
    if lost is not None:
        sys.exit(_died_message(command, settings, lost))


def _died_message(command: str, settings: Settings, server: str) -> str:
    return (
        f"carecoord {command}: stopped, its embedded {server} stopped (its log is under "
        f"{settings.data_dir}); start carecoord again"
    )


def _server_died(command: str, settings: Settings, session: Session) -> None:
    """A server this command started died: stop as SIGTERM does (the teardown stops the
    other one and removes the runtime file); if the teardown still waits on the dead
    server after a grace period, stop the other one here and end the process."""
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(OWNER_GRACE_SECONDS)
    session.close()
    print(_died_message(command, settings, session.lost_server or "server"), file=sys.stderr)
    sys.stderr.flush()
    os._exit(1)


def _leave(command: str) -> None:
    """The servers this command attached to have stopped: stop it as SIGTERM does, and
    if its teardown still waits on them after a grace period, end the process (it owns
    no server, and the runtime file is not its own)."""
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(ATTACHED_GRACE_SECONDS)
    print(f"carecoord {command}: the embedded servers it used have stopped", file=sys.stderr)
    sys.stderr.flush()
    os._exit(1)


def until_stopped(command: Coroutine[Any, Any, None]) -> None:
    """Run a command until it ends or SIGINT/SIGTERM arrives; either signal cancels it, so
    its own teardown runs (a second signal cuts that short)."""

    async def guarded() -> None:
        task = asyncio.ensure_future(command)
        loop = asyncio.get_running_loop()
        stop = _sibling_stop(task) if workers.is_sibling() else task.cancel
        for stop_signal in STOP_SIGNALS:
            loop.add_signal_handler(stop_signal, stop)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        try:
            runner.run(guarded())
        except BrokerUnreachable as unreachable:  # logged where found; said for a person
            at = f" at {unreachable.server}" if unreachable.server else ""
            why = f" ({unreachable.reason})" if unreachable.reason else ""
            print(
                f"carecoord: no NATS server answered{at} within {STARTUP_SECONDS:.0f} s{why}:"
                " start it, or set NATS_URL to one that runs (unset, the command starts its"
                " own)",
                file=sys.stderr,
            )
            raise SystemExit(EXIT_BROKER_GONE) from None
        except StreamRefused as refused:  # the settings' to mend: no restart helps
            raise SystemExit(f"carecoord: {refused}") from None
        except ProgramFileError as refused:  # it names the key; the traceback buried it
            raise SystemExit(f"carecoord: CARECOORD_PROGRAM_FILE: {refused}") from None


def _sibling_stop(task: asyncio.Future[None]) -> Callable[[], None]:
    """A sibling worker's stop: a second signal within the requests' wait is let pass.

    A service manager's stop signals every process of the service (systemd's control
    group, ``kill -- -PGID``), and the parent signals its siblings again as it stops: that
    second signal cut the sibling's wait short and its requests were answered
    ``api-stopping``. One after the wait still cuts a teardown short; the parent kills a
    sibling that outlives its own wait for it."""
    first: float | None = None

    def stop() -> None:
        nonlocal first
        now = time.monotonic()
        if first is not None and now - first < GRACEFUL_SHUTDOWN_SECONDS:
            log.info("stop signal repeated", extra={"code": "API_STOP_REPEATED"})
            return
        first = now if first is None else first
        task.cancel()

    return stop


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (uvicorn's standard extras bring it on Linux and macOS):
    its loop and transports are C, asyncio's selector loop and transports Python, some
    tenth of a timeline page's CPU in the API process. None: asyncio's own loop."""
    try:
        import uvloop  # noqa: PLC0415  (optional)
    except ImportError:
        return None
    return uvloop.new_event_loop


def print_token(settings: Settings, args: argparse.Namespace) -> int:
    """Print a development token; 2, naming the argument, if the API would refuse it (its
    user suspended too)."""
    claims = {"sub": args.user, "roles": args.role}
    if args.program is not None:
        claims["program"] = args.program
    try:
        user = identity_of(claims).user_id  # the API's own checks, and the user it reads
    except Unauthenticated as refused:
        argument = TOKEN_ARGUMENTS.get(refused.rule, "--user")
        print(f"carecoord token: argument {argument}: {refused.message}", file=sys.stderr)
        return 2
    roles = [Role(r) for r in args.role]
    lifetime = timedelta(hours=args.hours)
    try:
        token = issue_token(settings, args.user, *roles, lifetime=lifetime, program=args.program)
    except TokenKeysUnusable as unusable:
        print(f"carecoord token: {unusable}", file=sys.stderr)
        return 2
    try:
        token_suspension.not_suspended(settings, user)
    except token_suspension.Refused as suspended:
        print(f"carecoord token: {suspended}", file=sys.stderr)
        return suspended.status
    print(token)
    return 0


def export_schema(output: Path | None, *, check: bool) -> int:
    """Write (or with ``check``, compare) the SDL; the exit status says whether it was current."""
    from carecoord.graphql import export  # noqa: PLC0415  (API-only dependency)

    if output == Path("-"):
        print(export.sdl(), end="")
        return 0
    target = output or export.SCHEMA_FILE
    text = export.sdl()
    try:  # a name too long, a folder that may not be searched: a traceback, exit 1
        current = export.current(target, text)
    except OSError as failed:
        print(f"carecoord schema: cannot read {target}: {failed.strerror}", file=sys.stderr)
        return 2
    if check:
        print(f"{target}: {'current' if current else 'out of date; run ' + export.REGENERATE}")
        return 0 if current else 1
    if current:
        print(f"{target}: unchanged")
        return 0
    try:
        write_whole(target, text)  # whole or not at all: a stopped write left half a schema
    except OSError as failed:
        print(
            f"carecoord schema: cannot write {output_files.shown(target)}: {failed.strerror}",
            file=sys.stderr,
        )
        return 2
    print(f"{target}: written")
    return 0


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling. It re-raises a caught SIGTERM once it has
    stopped, which ends the process before the platform and the embedded servers stop;
    here the command's handlers stop it and the rest stops after it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            workers.announce_serving()


def serves_api(command: str) -> bool:
    """The command listens for the API and is not a sibling worker (which joins a port)."""
    return command in ("up", "api") and not workers.is_sibling()


def listen_or_exit(settings: Settings, *, join: bool = False) -> socket.socket:
    """The API's listening socket, or exit 1 naming what to change."""
    try:
        return workers.listening_socket(settings.host, settings.port, join=join)
    except OSError as error:
        if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
            fix = "give an address of this machine with --host or CARECOORD_HOST"
        else:
            fix = "choose another with --port or CARECOORD_PORT"
        raise SystemExit(
            f"carecoord: cannot listen on {settings.host}:{settings.port} ({error.strerror}); {fix}"
        ) from None


async def serve(
    settings: Settings,
    servers: Servers,
    part: str,
    *,
    demo_wanted: bool,
    listener: socket.socket | None = None,
    siblings: workers.Siblings | None = None,
) -> None:
    """``listener``: the socket the command took before it started; else (a sibling worker,
    or the relay and projector, which do not listen) one is bound here. ``siblings``: the
    API processes beside this one, which serve before it does."""
    from carecoord.graphql.app import MAX_BODY_BYTES, create_app  # noqa: PLC0415  (API-only)
    from carecoord.graphql.in_flight import InFlight  # noqa: PLC0415  (API-only)

    api = part in ("up", "api")
    async with running(
        settings,
        servers,
        relay=part in ("up", "relay"),
        project=part in ("up", "project"),
        serve=api,
        publish=part in ("up", "relay"),
    ) as platform:
        if demo_wanted:
            await asyncio.to_thread(demo.load, platform.bus)
            print_demo_tokens(settings)
        heap.settle()
        if not api:  # runs until stopped, or until it cannot; /metrics with metrics_port
            async with monitoring_listener(platform):
                raise SystemExit(await platform.fatal)
        requests = InFlight(create_app(platform))
        config = uvicorn.Config(
            requests,
            host=settings.host,
            port=settings.port,
            log_config=None,
            ws=ResetWhenUnread,
            ws_max_size=MAX_BODY_BYTES,  # as a request body (uvicorn took 16 MiB)
            lifespan="off",
            # past the requests' own wait, which answers those it cuts (uvicorn's: a bare 500)
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS + 1,
        )
        sock = listener or listen_or_exit(settings, join=workers.is_sibling())
        if siblings is not None:
            await siblings.serving()
        url = http_url(settings.host, settings.port)
        if not workers.is_sibling():
            if servers.runtime is not None:
                servers.runtime.publish_api(url)
            print(f"carecoord GraphQL: {url}/graphql  (health: {url}/health)", flush=True)
            print(f"carecoord tokens: {token_source(settings)}", flush=True)
        server = _Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        ends: set[asyncio.Future[Any]] = {serving, platform.fatal}
        if siblings is not None:  # one that ends is replaced; one that cannot be ends the API
            ends.add(watching := asyncio.create_task(siblings.watch()))
        try:
            await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        finally:  # stopped: no request is running as the platform under them closes
            if siblings is not None:
                watching.cancel()  # none is replaced as the siblings stop with this one
            requests.close()
            server.should_exit = True
            await requests.ended(within=GRACEFUL_SHUTDOWN_SECONDS)
            await serving
        if platform.fatal.done():  # the process cannot go on: its supervisor restarts it
            raise SystemExit(platform.fatal.result())
        if siblings is not None and watching.done() and not watching.cancelled():
            raise SystemExit(watching.result())


def http_url(host: str, port: int) -> str:
    """The URL of a listener on ``host``: an IPv6 address in brackets (``--host ::1`` printed
    ``http://::1:8000``, which no client reads as a host and a port)."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


@contextlib.asynccontextmanager
async def monitoring_listener(platform: Platform) -> AsyncIterator[str | None]:
    """``/metrics`` and ``/health`` on ``host:metrics_port`` while the block runs, for a
    process without the API (the relay, the projector); its URL, or None when unset."""
    from carecoord.graphql.app import create_monitoring_app  # noqa: PLC0415

    host, port = platform.settings.host, platform.settings.metrics_port
    if port is None:
        yield None
        return
    try:
        sock = workers.listening_socket(host, port)
    except OSError as error:
        raise SystemExit(f"carecoord: cannot serve metrics on {host}:{port} ({error})") from None
    config = uvicorn.Config(
        create_monitoring_app(platform), log_config=None, lifespan="off", access_log=False
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield http_url(host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        await serving


async def forward_disclosures(
    settings: Settings, servers: Servers, args: argparse.Namespace
) -> None:
    async with running(settings, servers, relay=False, project=False, serve=False) as platform:
        forwarder = Forwarder(platform, args.recipient, name=args.name, from_start=args.from_start)
        print(f"disclosing to {forwarder.subject_prefix}.> as {forwarder.follower}", flush=True)
        await forwarder.run()


async def rebuild_model(settings: Settings, servers: Servers, name: str) -> None:
    model = next(m for m in READ_MODELS if name == m.NAME)
    try:
        async with running(
            settings, servers, relay=False, project=False, serve=False, publish=False
        ) as platform:
            with meter(f"rebuilding {name}") as shown:
                done = await rebuild(platform.store, platform.pool, model, on_progress=shown)
    except RebuildRunning:
        raise SystemExit(
            f"carecoord rebuild: {name}: another rebuild of it is running; the live read model"
            " is as it was: let that one finish"
        ) from None
    except (ValueError, LookupError) as error:  # an event does not decode; say no content
        raise SystemExit(
            f"carecoord rebuild: {name}: an event does not decode"
            f" ({logs.withheld(error) or error}); the live read model is as it was"
        ) from None
    except asyncio.CancelledError:  # SIGINT/SIGTERM: a script must not take it as rebuilt
        raise SystemExit(
            f"carecoord rebuild: {name} interrupted; the live read model was switched whole"
            " or not at all: run the rebuild again"
        ) from None
    print(
        f"{name}: generation {done.generation}, {done.events} events in "
        f"{done.seconds:.1f} s ({done.rate:,.0f}/s)"
    )
    if done.set_aside:
        print(
            f"{name}: {done.set_aside} stored event(s) do not decode: left out and parked,"
            " as the live projector does (parked_events; /health says degraded)"
        )


async def republish_set_aside(settings: Settings, servers: Servers) -> None:
    """``relay --republish-parked``: the events the relay set aside, published again beside
    a running relay or without one (services/infrastructure/republish.py)."""
    async with running(settings, servers, relay=False, project=False, serve=False) as platform:
        assert platform.broker is not None  # it publishes
        await ensure_stream(platform.broker, settings)
        doorbell = Doorbell(platform.database_url, platform.store.channel)
        relay = Relay(
            platform.store, platform.broker, platform.pool, settings, doorbell, platform.liveness
        )
        done = await republish_parked(relay, platform.pool, platform.store)
    print(f"relay: {done.sent} set-aside event(s) published again", flush=True)
    if done.refused:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(done.refused.items()))
        raise SystemExit(
            f"carecoord relay --republish-parked: {done.refused.total()} event(s) still"
            f" refused ({codes}); they stay set aside (parked_events)"
        )


def token_source(settings: Settings) -> str:
    """Where the API's tokens come from, said under its URL: a new user of ``up`` had a URL
    that refused every request without a token and nothing saying how to get one. A
    development token is signed with the key under the data directory (or
    CARECOORD_JWT_SECRET), so it is issued in the folder the platform runs in. With a key set
    configured the API takes its identity provider's tokens alone (HS256 refused), and in
    production none is a development token (docs/access.md, "Identity")."""
    keys = key_source()
    if keys.jwks_url or keys.jwks_file:
        named = "CARECOORD_JWT_JWKS_URL" if keys.jwks_url else "CARECOORD_JWT_JWKS_FILE"
        return f"from the identity provider, checked with the keys {named} names"
    if settings.environment == "production":
        return "from the identity provider, signed with CARECOORD_JWT_SECRET"
    return (
        "carecoord token --user <id> --role <role>, run in this folder"
        '  (GraphiQL headers: {"Authorization": "Bearer <token>"})'
    )


def print_demo_tokens(settings: Settings) -> None:
    print('Demo tokens (GraphiQL headers: {"Authorization": "Bearer <token>"}):')
    for actor in (demo.PRESCRIBER, demo.NURSE, demo.ADMIN):
        token = issue_token(settings, actor.id, actor.role)
        print(f"  {actor.role.value:15} {actor.id:12} {token}")
    print("Demo clients (dr-demo and nurse-demo on their care teams):")
    print("  " + ", ".join(str(demo.demo_client_id(c[0])) for c in demo.CLIENTS))


async def tail_events(
    settings: Settings, servers: Servers, subject: str, *, new_only: bool
) -> None:
    """An ordered consumer of the care stream of its own: each message, once, as one JSON
    line (``services/infrastructure/stream_reader.py``: what another publisher sends on the
    care subjects, whatever its headers, neither stops it nor goes unread)."""
    nc = HeaderTolerantClient()
    connecting = bootstrap.BrokerStart(servers.nats_url)
    starting = True

    async def failed(error: Exception) -> None:  # the client's own: a traceback each
        if starting:  # its first connect: which server, why, for how long
            connecting.not_ready(error, settings.nats_reconnect_wait_seconds)
        else:
            log.warning("broker connection failed", extra={"error": error_code(error)})

    try:  # the client's first connect retries for ever: it waited, printing nothing
        async with asyncio.timeout(connecting.left()):
            await nc.connect(
                nats_servers(servers.nats_url),
                max_reconnect_attempts=settings.nats_reconnect_attempts,
                # typed int, slept as given: the platform's connections take it so too
                reconnect_time_wait=settings.nats_reconnect_wait_seconds,  # type: ignore[arg-type]
                error_cb=failed,
                inbox_prefix=TAIL_INBOX,
            )
    except (OSError, TimeoutError, nats.errors.Error) as failure:
        raise connecting.unreachable(failure) from failure
    starting = False
    reader = OrderedReader(nc, settings.stream_name, subject, new_only=new_only)
    try:
        if servers.runtime is not None and servers.runtime.owned:  # servers of its own
            await declare_stream(nc, settings)
        try:
            await reader.start()
        except NotFoundError:  # was a traceback: which setting
            raise SystemExit(
                f"carecoord tail: the broker has no stream {settings.stream_name}"
                " (CARECOORD_STREAM_NAME)"
            ) from None
        except BadRequestError:  # a filter this broker refuses all the same: was a traceback
            subject_refused(settings, subject)
        log.info("tailing", extra={"subject": subject, "new_only": new_only})
        out = LineOut(sys.stdout.fileno())
        try:
            async for msg in reader.messages():
                line = tail_line(msg)
                if line is not None:
                    await out.write(line)
        except nats.errors.ConnectionClosedError:  # reconnecting gave up
            raise bootstrap.BrokerUnreachable from None
    finally:
        with contextlib.suppress(nats.errors.Error):  # the servers may have stopped first
            await reader.stop()
            await nc.close()


def tail_line(msg: Msg) -> str | None:
    """The message as one JSON line, its subject and position the broker's (a number, as
    the export writes it: ``jq '.position > 100'`` compared text); None, logged by its code
    and never its content, for one that is no JSON object (it ended the tail, and every tail
    from the start after it): not UTF-8, nested past the parser's depth, or holding a number
    JSON has no text for (NaN, Infinity, 1e999), which made no JSON line."""
    header = (msg.headers or {}).get(POSITION_HEADER)
    position: int | str | None = header  # one the relay did not set: as it came
    if header is not None and header.isascii() and header.isdigit() and len(header) < 20:
        position = int(header)
    try:
        body = json.loads(msg.data)
        if not isinstance(body, dict):
            raise ValueError("not an object")
        held = {"subject": msg.subject, "position": position}
        return json.dumps(
            {**held, **{k: v for k, v in body.items() if k not in held}}, allow_nan=False
        )
    except (ValueError, RecursionError):
        log.error(
            "message skipped: it is not an event",
            extra={"stream_sequence": msg.metadata.sequence.stream, "code": "MESSAGE_UNREADABLE"},
        )
        return None


if __name__ == "__main__":
    main(sys.argv[1:])
