"""The program file: one TOML file holding a program's changes to the clinical rule tables.

Each area owns the model of its own section (``[alerts]`` is ``services/alerts/program.py``);
this module reads the file once at start (the composition root calls ``load_program``),
validates every section with pydantic and, for a bad file, says which key is wrong and why.
An unset path means the defaults of every table.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from carecoord.events.bounds import NOTE_MAX, text_problem
from carecoord.services.alerts.program import AlertSection
from carecoord.services.medication.program import MedicationSection

log = logging.getLogger("carecoord.program")

LARGEST = 1 << 20
"""The most bytes of a program file read."""


class ProgramFileError(ValueError):
    """The program file cannot be used; the message names the file, the key and the rule."""


class ProgramFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    alerts: AlertSection = Field(default_factory=AlertSection)
    medication: MedicationSection = Field(default_factory=MedicationSection)


def load_program(path: Path | None) -> ProgramFile:
    if path is None:
        return ProgramFile()
    try:
        with path.open("rb") as file:
            raw = file.read(LARGEST + 1)  # /dev/zero was read until the memory ran out
    except OSError as unreadable:
        raise ProgramFileError(f"program file {path}: {unreadable.strerror}") from None
    if len(raw) > LARGEST:
        raise ProgramFileError(
            f"program file {path}: over {LARGEST:,} bytes, which no program file is (the"
            " example with every section, docs/program.example.toml, is some 4 KB)"
        )
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProgramFileError(f"program file {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as unreadable:
        raise ProgramFileError(f"program file {path}: {unreadable}") from None
    for at, problem in _text_problems(data):
        raise ProgramFileError(f"program file {path}: [{at}] {problem}")
    try:
        program = ProgramFile.model_validate(data)
    except ValidationError as invalid:
        problems = "; ".join(
            f"[{'.'.join(str(part) for part in error['loc']) or 'file'}] {error['msg']}"
            for error in invalid.errors()
        )
        raise ProgramFileError(f"program file {path}: {problems}") from None
    changed, disabled = program.alerts.departures()
    if changed or disabled:
        # Said at every start: an operator (and an auditor reading the logs) sees which
        # alerts this deployment raises differently or not at all, not only the file's author.
        log.warning(
            "the program file departs from the default alert rules",
            extra={"code": "ALERT_RULES_CHANGED", "changed": changed, "disabled": disabled},
        )
    return program


def _text_problems(value: object, at: str = "") -> Iterator[tuple[str, str]]:
    """Each key or text of the file held to the bounds of any text the platform records: a
    rule's risk or a medication's name is shown to clinicians and written into refusals and
    events, and one holding a bidi control showed other than it said."""
    if isinstance(value, str):
        problem = text_problem(value, NOTE_MAX)
        if problem:
            yield at or "file", problem
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{at}.{key}" if at else str(key)
            yield from _text_problems(key, where)
            yield from _text_problems(item, where)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _text_problems(item, f"{at}.{n}")
