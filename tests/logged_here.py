"""The log records a test's own task emits, apart from those of the loops running beside it
in the same event loop (a platform the worker's tests share, the test's own platform's
projector and relay), which log into the same caplog: a test asserting on the records its
calls caused read a shared projector's warning among them, logged while another test had a
read model's version patched."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

import pytest

_HERE: ContextVar[bool] = ContextVar("logged_here", default=False)


@contextlib.contextmanager
def logged_here(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """While the block runs, ``caplog`` keeps only records emitted in this task's context
    (a task it starts inherits it; loops started before do not)."""
    token = _HERE.set(True)

    def here(record: logging.LogRecord) -> bool:
        return _HERE.get()

    caplog.handler.addFilter(here)
    try:
        yield
    finally:
        caplog.handler.removeFilter(here)
        _HERE.reset(token)
