"""The program's dispensing sites: which a transfer may go to, and a program admin's
registering and retiring one while the platform serves.

A transfer goes to a site of the program (21 CFR 1307.11(a)(1): controlled substances go
only to a registrant): one that keeps stock here, one the program file registers
(``[medication] sites``), or one a program admin registered; never to one retired, whatever
the program file says. Before, a site came in through the program file alone, so a
medication unit opened or closed waited for a restart. A site is its name (the program's,
the key of its stock: ``stock_id``), so it is registered once, under a name that reads one
way (``visible_names.site_named``) of at most ``SITE_MAX`` characters. A retired site is
never deleted: its books stay its own, and its name is not registered again for another.
"""

from __future__ import annotations

from collections.abc import Collection

from carecoord.events.stock import (
    DispensingSiteNameHeld,
    DispensingSiteRegistered,
    DispensingSiteRetired,
    name_key,
)
from carecoord.services.kernel.errors import InvalidInput, NotFound, RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.visible_names import site_named
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stock.record import SiteStock
from carecoord.services.stock.site_names import SiteName

SITE_MAX = 100
"""The longest site name registered, as the program file's (``[medication] sites``)."""
REGISTERED_SOURCE = (
    "21 CFR 1307.11(a)(1): a registrant distributes a controlled substance only to one"
    " registered to dispense it"
)


def of_program(stock: SiteStock, site: str, rules: MedicationRules) -> bool:
    """The site keeps stock here, was registered, or the program file registers it."""
    return stock.exists or site in rules.sites


def receives_transfers(target: SiteStock, to_site: str, rules: MedicationRules) -> None:
    """A transfer to ``to_site`` is refused naming ``toSite`` unless it is a site of the
    program not retired."""
    if target.retired:
        raise RuleViolation(
            "toSite",
            "site-retired",
            f"site {to_site!r} was retired: no stock is transferred to it (source:"
            f" {REGISTERED_SOURCE})",
        )
    if not of_program(target, to_site, rules):
        raise RuleViolation(
            "toSite",
            "registered-site",
            f"site {to_site!r} is not a site of the program: it keeps no stock here, no program"
            " admin registered it (registerDispensingSite) and the program file does not"
            " ([medication] sites); controlled substances go only to a site registered to"
            f" receive them (source: {REGISTERED_SOURCE})",
        )


def register(
    stock: SiteStock,
    held: SiteName,
    stamp: Stamp,
    rules: MedicationRules,
    site: str,
    taken: Collection[str],
) -> None:
    """``taken``: the name keys (``name_key``) of the active sites, the program file's and
    those registered, as the registry read them; ``held``, the name's record, decides a
    registration made meanwhile (``site_names.py``)."""
    name = site_named("site", site)
    if len(name) > SITE_MAX:
        raise InvalidInput(
            "site", "site-name-length", f"a site's name is at most {SITE_MAX} characters"
        )
    _not_retired(stock, name)
    if of_program(stock, name, rules):
        raise RuleViolation(
            "site",
            "site-registered",
            f"site {name!r} is a site of the program already: it keeps stock here, was"
            " registered, or the program file registers it",
        )
    _read_one_way(name, {*taken, *([] if held.held_by is None else [name_key(name)])})
    _record(stock, stamp, rules, DispensingSiteRegistered, name)
    held.record(stamp.event(DispensingSiteNameHeld, held.client_id, stamp.clock(), site=name,
                            held=True))  # fmt: skip


def _read_one_way(name: str, taken: Collection[str]) -> None:
    """Refused where an active site's name reads as this one but for letter case or
    spacing: every screen would show two sites as one, and stock sent to one leave the
    other's books."""
    if name_key(name) in taken:
        raise RuleViolation(
            "site",
            "site-name-unique",
            f"site {name!r} reads as the name of an active site of the program but for"
            " letter case or spacing; register it under a name of its own, or retire the"
            " other first",
        )


def retire(
    stock: SiteStock, held: SiteName, stamp: Stamp, rules: MedicationRules, site: str
) -> None:
    name = site_named("site", site)
    _not_retired(stock, name)
    if not of_program(stock, name, rules):
        raise NotFound(
            "site",
            "registered-site",
            f"site {name!r} is not a site of the program: there is no such site to retire",
        )
    _record(stock, stamp, rules, DispensingSiteRetired, name)
    if held.held_by == name:
        held.record(stamp.event(DispensingSiteNameHeld, held.client_id, stamp.clock(),
                                site=name, held=False))  # fmt: skip


def _record(
    stock: SiteStock,
    stamp: Stamp,
    rules: MedicationRules,
    event: type[DispensingSiteRegistered | DispensingSiteRetired],
    site: str,
) -> None:
    now = stamp.clock()
    stock.record(stamp.event(event, stock.client_id, now, site=site, day=rules.day_of(now)))


def _not_retired(stock: SiteStock, site: str) -> None:
    if stock.retired:
        raise RuleViolation(
            "site",
            "site-retired",
            f"site {site!r} was retired; a retired site keeps its name and records, and is"
            " neither registered nor retired again",
        )
