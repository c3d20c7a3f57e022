"""Where the time goes: py-spy around a measured phase (``--profile DIR``), and a summary
of what it recorded (``python -m carecoord.bench.profiles DIR``).

Each platform process is sampled (the API with its sibling workers) into
``DIR/<phase>-<part>.txt``, py-spy's collapsed stacks, which speedscope and flamegraph
tools read as they are.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from carecoord.bench.usage import Processes


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.asynccontextmanager
async def recorded(directory: Path | None, phase: str, processes: Processes) -> AsyncIterator[None]:
    """Sample every platform process while the block runs (nothing without a directory)."""
    command = py_spy()
    if directory is None or command is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  (once, before measuring)
    spies = [
        spy(command, pid, directory / f"{phase}-{part}.txt", children=part == "api")
        for part, pid in processes.parts.items()
    ]
    try:
        yield
    finally:
        for process in spies:
            process.send_signal(signal.SIGINT)
        for process in spies:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def spy(command: str, pid: int, output: Path, *, children: bool) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            command, "record", "--pid", str(pid), "--rate", "100", "--nonblocking",
            "--format", "raw", "--full-filenames", "--output", str(output),
            *(["--subprocesses"] if children else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def summarize(path: Path, top: int = 25) -> str:
    """The frames with the most samples on top of the stack (self), and the frames outside
    the standard library with the most samples anywhere on it (inclusive)."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")[1:]]  # the first names the process
        if not frames:
            continue
        total += count
        own[frames[-1][0]] += count
        for frame in {name for name, ours in frames if ours}:
            anywhere[frame] += count
    if not total:
        return f"{path.name}: no samples"
    lines = [f"{path.name}: {total} samples (busy threads only)", "  on top (self):"]
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines.append("  anywhere on the stack, outside the standard library (inclusive):")
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in anywhere.most_common(top)]
    return "\n".join(lines)


def _frame(frame: str) -> tuple[str, bool]:
    """(``function (module path)``, whether it is outside the standard library)."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/carecoord/"):
        if marker in where:
            short = where.split(marker, 1)[1]
            return f"{name} ({'carecoord/' if 'carecoord' in marker else ''}{short})", True
    return f"{name} ({where.rsplit('/', 1)[-1]})", False


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m carecoord.bench.profiles")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    profiles = sorted(args.directory.glob("*.txt"))
    if not profiles:  # a folder mistyped, or one no profiled run wrote: it printed nothing
        parser.error(f"no profiles (*.txt) in {args.directory}: give the folder of --profile")
    for path in profiles:
        print(summarize(path, args.top), end="\n\n")


if __name__ == "__main__":
    main()
