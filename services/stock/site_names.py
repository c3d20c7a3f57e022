"""The record of a site's name as it reads (``name_key``): which registered site holds it.

Every spelling of one name has the one record (``site_name_id``), so two admins registering
``North Unit`` and ``north unit`` at once both write it: the second write conflicts, is
decided again on the record as the first left it, and is refused (``site-name-unique``).
The registry's read model alone (``projections/dispensing_sites.py``) could not tell them
apart until each was projected.
"""

from __future__ import annotations

from uuid import UUID

from carecoord.events import CareEvent
from carecoord.events.stock import DispensingSiteNameHeld
from carecoord.services.kernel.aggregate import Aggregate


class SiteName(Aggregate, context="stock"):
    def __init__(self, name_id: UUID) -> None:
        super().__init__(name_id)
        self.held_by: str | None = None
        """The registered site holding the name, until it is retired."""

    def apply(self, event: CareEvent) -> None:
        if isinstance(event, DispensingSiteNameHeld):
            self.held_by = event.site if event.held else None
