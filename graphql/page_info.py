"""Where a page of a connection ends: its own module, since the timeline, the logs and the
views that page all answer with it, and the logs' paging is imported by views the timeline
imports."""

from __future__ import annotations

import strawberry


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
