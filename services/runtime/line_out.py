"""Lines written to standard output without the event loop waiting on their reader.

``print`` blocked the whole process while the pipe it wrote to was full: a ``carecoord tail``
piped to a reader that stopped reading (a pager left open, a stalled consumer) no longer
heard SIGTERM, whose handler runs on the loop, and a service manager had to kill it. Each
line is written by a thread with ``os.write``, which holds no Python lock while it waits, so
the process still ends with that thread blocked; the loop awaits the write as any I/O, so
the tail still reads no faster than its reader, and a signal still stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading

Pending = tuple[bytes, asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class LineOut:
    """Standard output (or file descriptor ``fd``), a line at a time."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lines: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    async def write(self, line: str) -> None:
        """``line`` and a newline, written; raises what writing it raised (BrokenPipeError
        once the reader left)."""
        if self._writer is None:
            self._writer = threading.Thread(target=self._write, name="line-out", daemon=True)
            self._writer.start()
        loop = asyncio.get_running_loop()
        written: asyncio.Future[None] = loop.create_future()
        self._lines.put(((line + "\n").encode(), loop, written))
        await written

    def _write(self) -> None:
        while True:
            data, loop, written = self._lines.get()
            failure: OSError | None = None
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError as failed:
                failure = failed
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(_settle, written, failure)


def _settle(written: asyncio.Future[None], failure: OSError | None) -> None:
    if written.done():  # cancelled: the command stopped while it was being written
        return
    if failure is None:
        written.set_result(None)
    else:
        written.set_exception(failure)
