"""Facts about a client's place in a program: enrollment, level of care, care team."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from carecoord.events.envelope import CareEvent, Kind


class ClientEnrolled(CareEvent):
    """A client was admitted to a program; every other record hangs off this one."""

    context: ClassVar[str] = "care"
    kind: ClassVar[Kind] = Kind.CARE
    summary_template: ClassVar[str] = "Enrolled in {program} as {display_name}"

    display_name: str = Field(min_length=1, max_length=200)
    program: str = Field(min_length=1, max_length=200)
