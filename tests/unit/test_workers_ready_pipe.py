"""A sibling API worker says on a pipe that it serves; the descriptor comes from the
environment, so a process that is no sibling, or a value that names no descriptor, writes
nothing and does not fail (a stray variable made every API write a byte to descriptor N)."""

from __future__ import annotations

import os

import pytest

from carecoord.services.runtime.workers import READY_FD_ENV, WORKER_ENV, announce_serving


def test_only_a_sibling_announces_on_the_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    ready, told = os.pipe()
    os.set_blocking(ready, False)
    try:
        monkeypatch.delenv(WORKER_ENV, raising=False)
        monkeypatch.setenv(READY_FD_ENV, str(told))
        announce_serving()
        with pytest.raises(BlockingIOError):
            os.read(ready, 1)

        monkeypatch.setenv(WORKER_ENV, "1")
        for hostile in ("not-a-number", "-1", "9" * 2_000_000, "999999999"):
            monkeypatch.setenv(READY_FD_ENV, hostile)
            announce_serving()

        monkeypatch.setenv(READY_FD_ENV, str(told))
        announce_serving()
        assert os.read(ready, 1) == b"."
        announce_serving()  # once: the variable is gone
    finally:
        os.close(ready)
        if READY_FD_ENV in os.environ:
            os.close(told)
