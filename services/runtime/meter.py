"""The progress bar of a long command (``audit verify``, ``audit projections``,
``audit export``, ``rebuild``): tqdm's, on stderr, told the position reached and the one the
work goes to. It is drawn in place on a terminal only: on a pipe the log lines written meanwhile
(JSON, one a line) went on the bar's line, so there its last state is written as the command
ends, on a line of its own."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import Never

from tqdm import tqdm

SCALED_FROM = 10_000
"""Counts from this on are shown as 12.3k, 4.56M."""


class Meter:
    def __init__(self, label: str, unit: str = "events") -> None:
        self._label = label
        self._unit = unit
        self._bar: tqdm[Never] | None = None
        self._in_place = sys.stderr.isatty()

    def __call__(self, at: int, of: int, *_: object) -> None:
        """``at`` of ``of`` reached (whatever else the caller says, such as its own timing,
        is left out: the bar measures the rate itself)."""
        if self._bar is None:  # made at the first call, which knows the total
            self._bar = tqdm(
                desc=self._label,
                total=of,
                unit=f" {self._unit}",
                unit_scale=of >= SCALED_FROM,
                file=sys.stderr if self._in_place else io.StringIO(),
                mininterval=0.5,
            )
        elif self._bar.total != of:
            self._bar.total = of
        self._bar.update(at - self._bar.n)

    def note(self, line: str) -> None:
        """A line of its own above the bar."""
        tqdm.write(line, file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            if not self._in_place:
                print(self._bar, file=sys.stderr)


@contextlib.contextmanager
def meter(label: str, unit: str = "events") -> Iterator[Meter]:
    """A bar labelled ``label`` while the block runs, left on its line when it ends; it
    counts ``unit``."""
    shown = Meter(label, unit)
    try:
        yield shown
    finally:
        shown.close()
