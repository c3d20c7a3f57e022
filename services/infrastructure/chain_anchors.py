"""Anchors: the event chain's head, kept outside the database at intervals.

Someone who can disable triggers can rewrite the chain from any row on with fresh hashes,
and the database alone would not show it. So the process that runs the relay publishes the
head (position, hash, time) every ``chain_anchor_interval_seconds`` when it has moved, and
once more when it stops: on the JetStream subject ``anchors.<subject_root>.event-chain``
in a stream of its own (``<stream_name>_ANCHORS``; the care stream's consumers expect
events only) and appended to a JSON Lines file (``chain_anchor_file``, default
``<data_dir>/event-chain-anchors.jsonl``) that an operator ships elsewhere.
``carecoord audit verify --anchors FILE`` checks every anchor against the recomputed chain.

A line: ``{"chain": "event-sha256-v1", "position": 812, "hash": "<64 hex>",
"at": "2026-11-27T09:00:00+00:00", "accessLogFrom": 1, "accessLogHead": {"seq": 40,
"hash": "<64 hex>"}}``. ``accessLogFrom``, where a database keeps an access log, is the
entry from which that log is chained: with every hash of the log removed, its entries read
as from before the chain, and only this tells them from such entries (the least one the
file holds counts). ``accessLogHead``, once the log has a chained entry, is its newest
(seq and hash): with the newest entries removed, or one rewritten and the hashes after it
recomputed, the chain left holds together, and only this shows it. The relay anchors when
either head moved (a platform serving only reads moves the log's alone). Lines written
before either field are read without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from faststream.nats import NatsBroker
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError
from psycopg_pool import AsyncConnectionPool

from carecoord.services.infrastructure import access_log, chain_verification, event_chain
from carecoord.services.infrastructure.chain_verification import Break
from carecoord.services.infrastructure.liveness import Liveness, keep_running
from carecoord.services.infrastructure.settings import ANCHORS, Settings

log = logging.getLogger("carecoord.chain_anchors")

NAME = "chain-anchors"
FINAL_SECONDS = 5.0
"""How long the anchor at shutdown may take (the broker may be gone)."""
POSITION_MAX = 2**63 - 1
"""The greatest store position (``notification_id`` is a bigint)."""
LINE_MOST = 4096
"""The longest line of an anchors file read: an anchor is some 150 bytes."""
TORN = "a torn last line (cut off as it was written), ignored"


@dataclass(frozen=True, slots=True)
class Anchor:
    position: int
    hash: bytes
    at: str
    chain: str = event_chain.CHAIN
    access_log_from: int | None = None
    """The access-log entry from which every entry is chained (``access_log.chained_from``)."""
    access_log_head: tuple[int, bytes] | None = None
    """The access log's newest chained entry, seq and hash (``access_log.chain_head``)."""

    def as_json(self) -> dict[str, Any]:
        anchored = {
            "chain": self.chain,
            "position": self.position,
            "hash": self.hash.hex(),
            "at": self.at,
        }
        if self.access_log_from is not None:
            anchored["accessLogFrom"] = self.access_log_from
        if self.access_log_head is not None:
            seq, hashed = self.access_log_head
            anchored["accessLogHead"] = {"seq": seq, "hash": hashed.hex()}
        return anchored

    @classmethod
    def from_json(cls, data: object) -> Anchor:
        """An anchor as ``as_json`` writes it, or ValueError naming the field and what it
        must be: a damaged line read leniently (5.9 as 5, -5, a short hash) would be judged
        as tampering, or even match, and an ``at`` that is no time (a number, NUL, text of
        any length) was taken as it was and printed in the verdicts it is quoted in."""
        if not isinstance(data, dict):
            raise ValueError(f"{_shown(data)} is not a JSON object")
        missing = [field for field in ("chain", "position", "hash", "at") if field not in data]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
        position, chain = data["position"], data["chain"]
        if not _counted(position):
            raise ValueError(f"position {_shown(position)} is not a store position")
        if not isinstance(chain, str):
            raise ValueError(f"chain {_shown(chain)} is not text")
        logged = data.get("accessLogFrom")
        if logged is not None and not _counted(logged):
            raise ValueError(f"accessLogFrom {_shown(logged)} is not an access-log entry")
        hashed = _digest("hash", data["hash"])
        return cls(position, hashed, _time(data["at"]), chain, logged, _logged_head(data))


AT_MOST = 40
"""The longest ``at`` read: the relay writes 25 characters (``2026-11-27T09:00:00+00:00``)."""
QUOTED_MOST = 40
"""The most characters of a malformed field's value a refusal quotes."""
AT_SAID = "an ISO 8601 time with its UTC offset, as the relay writes it: 2026-11-27T09:00:00+00:00"


def _time(at: object) -> str:
    """``at``: when the head was anchored, an ISO 8601 time with its offset (the verdicts
    quote it), or ValueError saying what it must be."""
    if isinstance(at, str) and len(at) <= AT_MOST and at.isascii() and at.isprintable():
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            pass
        else:
            if when.tzinfo is not None:
                return at
    raise ValueError(f"at {_shown(at)} is not {AT_SAID}")


def _shown(value: object) -> str:
    """A field's value as the line holds it (JSON, non-ASCII and control characters
    escaped), cut short: the file is not ours to trust, and a terminal acts on escapes."""
    text = json.dumps(value)
    return text if len(text) <= QUOTED_MOST + 2 else f"{text[:QUOTED_MOST]}..."


def _counted(value: object) -> bool:
    """Whether ``value`` is a position or entry number (a bigint from 1; not 5.9, not True)."""
    return type(value) is int and 0 < value <= POSITION_MAX


def _digest(field: str, hashed: object) -> bytes:
    """A hash as 64 hex digits, or ValueError naming ``field``."""
    if isinstance(hashed, str) and len(hashed) == 64 and hashed.isascii():
        with contextlib.suppress(ValueError):
            digest = bytes.fromhex(hashed)  # spaces between digits are read past
            if len(digest) == 32:
                return digest
    raise ValueError(f"{field} {_shown(hashed)} is not 64 hex digits")


def _logged_head(data: dict[str, Any]) -> tuple[int, bytes] | None:
    """The anchored ``accessLogHead`` (absent from lines written before it was anchored)."""
    head = data.get("accessLogHead")
    if head is None:
        return None
    if not isinstance(head, dict) or not _counted(head.get("seq")):
        raise ValueError(f"accessLogHead {_shown(head)} is not an access-log entry")
    return head["seq"], _digest("accessLogHead hash", head.get("hash"))


def read_anchors(path: Path, warn: Callable[[str], None] = log.warning) -> list[Anchor]:
    """Every anchor in a JSON Lines file; a malformed line is refused with its number, and a
    file with none (the relay writes one before the file exists) holds the store to nothing.
    A last line without its end that is no anchor is a write cut off (power lost, the disk
    full): ``warn`` is told its number and the lines before it are read, where the file was
    refused until that line was mended by hand."""
    anchors = []
    with path.open("rb") as lines:
        for number, line in enumerate(_lines(path, lines), 1):
            if not line.strip():
                continue
            try:
                anchor = _anchor(line)
            except (ValueError, KeyError, TypeError) as error:
                if not line.endswith(b"\n"):  # only the last line can lack its end
                    warn(f"{path}:{number}: {TORN}")
                    continue
                raise ValueError(f"{path}:{number}: not an anchor ({error})") from None
            if anchor.chain != event_chain.CHAIN:
                expected = event_chain.CHAIN
                raise ValueError(f"{path}:{number}: chain {_shown(anchor.chain)}, not {expected}")
            anchors.append(anchor)
    if not anchors:
        raise ValueError(f"{path} holds no anchor: nothing to hold the store's head to")
    return anchors


def _lines(path: Path, raw: BinaryIO) -> Iterator[bytes]:
    """The file's lines, each refused with its number when it is longer than any anchor
    (``/dev/zero`` or a file of one vast line was read whole into memory, for ever)."""
    for number in itertools.count(1):
        line = raw.readline(LINE_MOST + 1)
        if not line:
            return
        if len(line) > LINE_MOST:
            raise ValueError(f"{path}:{number}: not an anchor (over {LINE_MOST:,} bytes)")
        yield line


def _anchor(line: bytes) -> Anchor:
    """The anchor a line holds; text not UTF-8 is refused as such (the codec's message named
    neither the file nor the line)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    try:
        data = json.loads(text)
    except RecursionError:  # [[[[... the length of a line: the decoder's stack ran out
        raise ValueError("JSON nested too deep") from None
    return Anchor.from_json(data)


def last_anchor(path: Path) -> Anchor | None:
    """The file's last anchor (read from its end, at most ``LINE_MOST`` bytes: a device
    such as /dev/zero has no end), or None; a torn last line is passed over."""
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - LINE_MOST))
            tail = f.read(LINE_MOST).splitlines(keepends=True)
    except OSError:
        return None
    for line in reversed(tail):
        try:
            return _anchor(line)
        except (ValueError, KeyError, TypeError):
            if line.endswith(b"\n"):
                return None
    return None


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append the anchor as one line, written whole in one write and synced (the folder too
    when the file is new). A torn last line left by a write cut off before is ended when it
    is an anchor but for its end, and otherwise cut away (logged with its length): appended
    to, it made one malformed line in the middle of the file, refused by every verification
    after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(anchor.as_json(), separators=(",", ":")).encode() + b"\n"
    made = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        line = _after_torn(fd, path) + line
        while line:
            line = line[os.write(fd, line) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if made:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _after_torn(fd: int, path: Path) -> bytes:
    """What the next line must follow the file's end with: nothing after a whole line, a
    line end after an anchor that lacks only its end; a torn piece that is no anchor is cut
    away (nothing follows it then)."""
    size = os.fstat(fd).st_size
    tail = os.pread(fd, LINE_MOST + 1, max(0, size - LINE_MOST - 1))
    if not tail or tail.endswith(b"\n"):
        return b""
    start = tail.rfind(b"\n") + 1
    if start == 0 and size > LINE_MOST:  # no line end near the end: no line of ours
        return b"\n"
    try:
        _anchor(tail[start:])
    except (ValueError, KeyError, TypeError):
        torn = len(tail) - start
        os.ftruncate(fd, size - torn)
        log.warning("torn anchor line cut away", extra={"file": str(path), "bytes": torn})
        return b""
    return b"\n"


def anchor_file(settings: Settings) -> Path:
    return settings.chain_anchor_file or settings.data_dir / "event-chain-anchors.jsonl"


class AnchorFileUnusable(ValueError):
    """CARECOORD_CHAIN_ANCHOR_FILE cannot be appended to: the relay's process cannot start."""


def check_anchor_file(settings: Settings) -> None:
    """Open the anchors file as the relay appends to it, before anything starts: a folder, a
    path under a file or a place no file can be made was retried for ever, each time logged
    by the error's class alone. AnchorFileUnusable naming the setting and why; the default
    file's OSError as it came (the data directory's to name). A file made here is removed:
    before the first anchor there is none."""
    path = anchor_file(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        appending = os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK  # a FIFO no one reads: refused
        try:
            os.close(os.open(path, appending | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            os.close(os.open(path, appending))
        else:
            path.unlink()
    except OSError as failed:
        if settings.chain_anchor_file is None:
            raise
        why = (
            f"{failed.filename} is not a directory"
            if isinstance(failed, (FileExistsError, NotADirectoryError))
            else (failed.strerror or type(failed).__name__).lower()
        )
        raise AnchorFileUnusable(
            f"CARECOORD_CHAIN_ANCHOR_FILE: cannot append to {path} ({why}); set it to a file"
            " in a directory the relay can write (unset: event-chain-anchors.jsonl in the data"
            " directory)"
        ) from None


def message_id(anchor: Anchor) -> str:
    """The stream keeps one copy of an anchor published twice; anchors of one event head
    with the access log's moved are each kept (an id of the event head alone was taken
    for a copy of the last, and the log's head went unpublished)."""
    logged = anchor.access_log_head
    moved = "" if logged is None else f":{logged[0]}:{logged[1].hex()}"
    return f"{anchor.chain}:{anchor.position}:{anchor.hash.hex()}{moved}"


def anchor_stream(settings: Settings) -> str:
    return f"{settings.stream_name}_ANCHORS"


def anchor_subject(settings: Settings) -> str:
    return f"{ANCHORS}.{settings.subject_root}.event-chain"


class Anchoring:
    """The anchoring loop of the relay's process; ``run`` is its task."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        broker: NatsBroker,
        settings: Settings,
        liveness: Liveness,
        table: str = event_chain.TABLE,
    ) -> None:
        self._pool = pool
        self._broker = broker
        self._settings = settings
        self._liveness = liveness
        self._table = table
        self.file = anchor_file(settings)
        found = last_anchor(self.file)
        self.last: int | None = None if found is None else found.position
        self.access_log_from = None if found is None else found.access_log_from
        self.access_log_head = None if found is None else found.access_log_head
        self._stream_ready = False
        self._unpublished: list[Anchor] = []
        """Anchors in the file the broker has not taken yet, oldest first."""
        self._next_at: float | None = None
        """When the next anchor is made (the event loop's clock); None before ``run``."""
        self.broken: Break | None = None
        """Why nothing is anchored: the store lost its chain's columns (``unchained``)."""

    async def run(self) -> None:
        """Anchor at every interval until cancelled, then once more (the process stops with
        its broker and pool still open until its tasks are done). The last anchor is made
        whole however often the stop cancels the task meanwhile: a stop cancels its loops
        every half second until they end (``cancel_loops``), and an anchor taking longer, on
        a loaded machine, was cut short and never made."""
        try:
            await keep_running(NAME, self._every_interval, self._liveness)
        finally:
            last = asyncio.ensure_future(self.final())  # bounded by FINAL_SECONDS
            while not last.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(last)

    async def _every_interval(self) -> None:
        """An anchor every interval. What failed is tried again once ``keep_running`` has
        paused: an anchor not made, or one the broker did not take. Waiting a whole
        interval first kept the loop failing (``/health`` 503, the loop stuck) for up to a
        minute after a broker or database blip had passed; the next anchor is still made
        an interval after the last one."""
        clock = asyncio.get_running_loop().time
        interval = self._settings.chain_anchor_interval_seconds
        if self._next_at is None:
            self._next_at = clock() + interval
        while True:
            if not self._unpublished:
                await asyncio.sleep(max(0.0, self._next_at - clock()))
            if clock() >= self._next_at:
                await self._make()
                self._next_at = clock() + interval
            await self._send_unpublished()
            self._liveness.progressed(NAME)

    async def anchor(self) -> Anchor | None:
        """Anchor the heads if the event chain's or the access log's moved since the last
        anchor (reads alone move the log's), then publish every anchor the broker does not
        have yet; the anchor made, or None."""
        made = await self._make()
        await self._send_unpublished()
        return made

    async def _send_unpublished(self) -> None:
        while self._unpublished:
            await self._publish(self._unpublished[0])
            self._unpublished.pop(0)

    async def _make(self) -> Anchor | None:
        """Append a new anchor to the file, once: it is made there. The broker's copy
        follows (``_unpublished``): a broker refusing it, or away, failed the anchor after
        the file had it, and every retry appended the same anchor again, a line each retry
        for as long as the broker was away."""
        async with self._pool.connection() as conn:
            broken = await chain_verification.unchained(conn, self._table)
            self._say_broken(broken)
            if broken is not None:
                return None
            head = await event_chain.head(conn, self._table)
            logged = await access_log.chain_head(conn)
            if head is None or (head[0], logged) == (self.last, self.access_log_head):
                return None
            chained = await access_log.chained_from(conn)
        known = [f for f in (self.access_log_from, chained) if f is not None]
        self.access_log_from = min(known, default=None)  # hashes removed since move it on
        at = datetime.now(UTC).isoformat(timespec="seconds")
        anchor = Anchor(
            head[0], head[1], at, access_log_from=self.access_log_from, access_log_head=logged
        )
        await asyncio.to_thread(append_anchor, self.file, anchor)
        self.last, self.access_log_head = anchor.position, logged
        self._unpublished.append(anchor)
        log.info("event chain anchored", extra={"position": anchor.position})
        return anchor

    def _say_broken(self, broken: Break | None) -> None:
        """Say once, as ``audit verify`` says it, that the chain is broken and nothing is
        anchored: the head's query failed at every interval, logged by its error's class."""
        if broken is not None and broken != self.broken:
            log.error(
                "event chain broken: nothing is anchored until it is restored (carecoord"
                " audit verify reports the same break)",
                extra={
                    "position": broken.position,
                    "verdict": broken.verdict.value,
                    "break": broken.message,
                },
            )
        self.broken = broken

    async def final(self) -> None:
        """One last anchor as the process stops; a failure is logged, never raised."""
        try:
            async with asyncio.timeout(FINAL_SECONDS):
                await self.anchor()
        except Exception as failure:  # stopping: say so and go on
            log.warning("no anchor at shutdown", extra={"error": type(failure).__name__})

    async def _publish(self, anchor: Anchor) -> None:
        if not self._stream_ready:
            await self._ensure_stream()
        await self._broker.publish(
            json.dumps(anchor.as_json()).encode(),
            anchor_subject(self._settings),
            headers={"Nats-Msg-Id": message_id(anchor)},
            stream=anchor_stream(self._settings),
        )

    async def _ensure_stream(self) -> None:
        js = self._broker.connection.jetstream()
        name = anchor_stream(self._settings)
        try:
            await js.stream_info(name)
        except NotFoundError:
            subjects = [anchor_subject(self._settings)]
            replicas = self._settings.stream_replicas  # as many copies as the care stream
            await js.add_stream(StreamConfig(name=name, subjects=subjects, num_replicas=replicas))
        self._stream_ready = True
