"""What a COPY cut short by an error tells the server: the error's class and SQLSTATE.

psycopg ends such a COPY with ``error from Python: <class> - <message>``, and the server
logs it (``COPY from stdin failed: ...``), past the scrubbing of our own logs
(``services/runtime/logs.py``): a database error's message quotes the failing row, a
validation error's each value it refused. Every COPY goes through this writer."""

from __future__ import annotations

from psycopg.copy import AsyncLibpqWriter

from carecoord.services.infrastructure.liveness import error_code


class CopyCutShort(Exception):
    """Stands in, for the server, for the error that cut a COPY short."""


class WithheldWriter(AsyncLibpqWriter):
    async def finish(self, exc: BaseException | None = None) -> None:
        await super().finish(None if exc is None else CopyCutShort(error_code(exc)))
