"""The figures of one run, each with its peer and their ratio, and the targets they meet."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """A bar on a figure's ratio to its peer (``on_ratio``) or on the figure itself."""

    text: str
    op: str
    bound: float
    on_ratio: bool = True

    def met(self, value: float) -> bool:
        compare: Callable[[float, float], bool] = operator.ge if self.op == ">=" else operator.le
        return not math.isnan(value) and compare(value, self.bound)


@dataclass(frozen=True)
class Figure:
    part: str
    name: str
    value: float
    unit: str
    peer_name: str = ""
    peer: float | None = None
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.peer is None:
            return None
        if self.peer == 0:
            return math.inf if self.value > 0 else math.nan
        return self.value / self.peer

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        measured = self.ratio if self.target.on_ratio else self.value
        return self.target.met(math.nan if measured is None else measured)


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}".rstrip()


@dataclass
class Summary:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def table(self) -> str:
        head = ("part", "figure", "value", "peer", "peer value", "ratio", "target")
        rows = [head]
        for f in self.figures:
            ratio = f.ratio
            target = ""
            if f.target is not None:
                target = f"{f.target.text}: {'met' if f.met else 'NOT MET'}"
            rows.append(
                (
                    f.part,
                    f.name,
                    number(f.value, f.unit),
                    f.peer_name,
                    number(f.peer, f.unit) if f.peer is not None else "",
                    "" if ratio is None else number(ratio),
                    target,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = []
        for k, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def targets(self) -> str:
        lines = []
        for f in self.figures:
            if f.target is None:
                continue
            measured = f.ratio if f.target.on_ratio else f.value
            what = "ratio" if f.target.on_ratio else "value"
            verdict = "met" if f.met else "not met"
            lines.append(
                f"  {f.part}: {f.name}: {what} {number(measured)} against {f.target.text}"
                f" -> {verdict}"
            )
        return "\n".join(lines)

    def markdown(self) -> str:
        """The same table for the README."""
        lines = [
            "| part | figure | value | peer | peer value | ratio | target |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in self.figures:
            target = ""
            if f.target is not None:
                target = f"{f.target.text}: {'met' if f.met else '**not met**'}"
            ratio = f.ratio
            lines.append(
                f"| {f.part} | {f.name} | {number(f.value, f.unit)} | {f.peer_name} | "
                f"{number(f.peer, f.unit) if f.peer is not None else ''} | "
                f"{'' if ratio is None else number(ratio)} | {target} |"
            )
        return "\n".join(lines)
