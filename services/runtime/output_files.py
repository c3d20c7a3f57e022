"""A file a command writes for its user (``audit export --out``, ``schema --output``), whole
or not at all.

The text goes into a new file beside the target, is flushed to the disk, and only then
takes the target's name (a rename, which a reader sees as one step). An interrupt, a full
disk or a crash while writing leaves the file that was there before, or none, and no
half-written one: opened in place and truncated first, a program's export stopped halfway
read as a whole record with clients missing. A target that is no regular file (a device,
a pipe: ``/dev/stdout``), or a path naming a descriptor (``/dev/stdout`` to a file the
shell opened, ``>>`` too), is written in place: there is nothing to replace.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

PARTIAL = ".partial"
"""The suffix of the file being written, beside the target, until it takes its name."""
NAME_SHOWN = 200
"""The most bytes of the target's name the partial file's name holds."""


def write_whole(target: Path, text: str, *, mode: int | None = None) -> None:
    """Write ``text`` to ``target``, whole or not at all. ``mode``: the file's permissions
    (a device or a pipe keeps its own); None: an existing file's, else a new file's under
    the umask."""
    if not in_place(target):  # /dev/stdout to a pipe: no path of its own
        with open_device(target) as device:
            device.write(text)
        return
    with whole(target, mode=mode) as file:
        file.write(text)


def in_place(target: Path) -> bool:
    """Whether ``target`` is written beside itself and renamed over (``whole``): a regular
    file or none yet, not a device or a pipe, nor a path that names a descriptor
    (``/dev/stdout``, ``/dev/fd/N``): the shell opened that file for the command, and,
    renamed over, it lost what it held (``>> all.jsonl`` appended to nothing)."""
    if _names_a_descriptor(target):
        return False
    return not target.exists() or target.is_file()


DESCRIPTORS = re.compile(r"/dev/(stdout|stderr|fd/\d+)|/proc/(self|thread-self|\d+)/fd/\d+")


def _names_a_descriptor(target: Path) -> bool:
    return DESCRIPTORS.fullmatch(os.path.abspath(target)) is not None


def open_device(target: Path) -> TextIO:
    """``target`` opened to be written in place (not ``in_place``): a device, a pipe, or
    the file a descriptor path leads to, appended to (opened to write, it was emptied: what
    ``>>`` had kept went, a file made by ``>`` is empty already)."""
    return target.open("a", encoding="utf-8")


@contextlib.contextmanager
def whole(target: Path, *, mode: int | None = None) -> Iterator[TextIO]:
    """A new file beside ``target`` (``in_place``) to write a piece at a time, which takes
    ``target``'s name once the block ends, flushed to the disk; an error or an interrupt in
    the block removes it, leaving the file that was there. ``mode`` as ``write_whole``'s."""
    real = Path(os.path.realpath(target))  # a symbolic link is written through, not replaced
    if mode is None:
        mode = stat.S_IMODE(real.stat().st_mode) if real.exists() else 0o666 & ~_umask()
    # Named for the target, cut short: a target's name near the longest a folder takes
    # (255 bytes) made the partial file's too long, and the export was refused.
    shown = os.fsdecode(os.fsencode(real.name)[:NAME_SHOWN])
    fd, partial = tempfile.mkstemp(dir=real.parent, prefix=f".{shown}.", suffix=PARTIAL)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(fd, mode)  # before a byte is written: 0600 is never wider on the way
            yield file
            file.flush()
            os.fsync(fd)
        os.replace(partial, real)
    except BaseException:  # an interrupt as well: the partial file goes
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def nowhere() -> TextIO:
    """What a command writes to in place of a stream closed as it started (``>&-``): the
    null device, known by its name (``closed_at_start``) from a stream sent there by the
    shell, whose name is ``<stdout>``."""
    return open(os.devnull, "w", encoding="utf-8")


def closed_at_start(stream: TextIO) -> bool:
    """Whether ``stream`` stands in for one closed as the command started (``nowhere``)."""
    return getattr(stream, "name", None) == os.devnull


PATH_SHOWN = 200
"""The most characters of a path a command's message says."""


def shown(path: object) -> str:
    """``path`` as a command's message says it: a character a terminal acts on (an escape,
    a bidi override: a name may hold any but NUL and ``/``) escaped, and cut short. Said
    as given, ``--out $'\\e[2J'`` cleared the auditor's screen."""
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in str(path))
    return text if len(text) <= PATH_SHOWN else f"{text[:PATH_SHOWN]}..."
