"""Commands on a site's stock: load the site's record (two for a transfer), decide, record.

Ids are drawn when the command is built, so a retry after a conflict records the same ids.
A decision that needs the doses drawn from a lot takes the ``Ledger`` the caller read from
the stock view, and the lot's record of draws, read in its batch (``draws_on``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from uuid import UUID, uuid4

from carecoord.events.stock import Resolution, draws_id, site_name_id, stock_id
from carecoord.services.care.record import ClientRecord
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.kernel.unit_of_work import Command, UnitOfWork, named_for
from carecoord.services.medication.rules import MedicationRules
from carecoord.services.stock import corrections, counts, movements, sites, transfers_in_error
from carecoord.services.stock.corrections import InError
from carecoord.services.stock.counts import Count
from carecoord.services.stock.lot_draws import DrawsOn, LotDraws
from carecoord.services.stock.movements import Receipt, Transfer, Waste
from carecoord.services.stock.record import Ledger, SiteStock
from carecoord.services.stock.site_names import SiteName
from carecoord.services.stock.transfers_in_error import TransferInError


def site_stock(uow: UnitOfWork, site: str) -> SiteStock:
    """The site's record; refused while a client is enrolled under the id its stock goes
    by (enrolled before the site kept any): its events would read as that client's."""
    found = stock_id(site)
    if uow.get(ClientRecord, found).exists:
        raise RuleViolation(
            "site",
            "site-stock-id",
            f"a client is enrolled under {found}, the id the stock of site {site} goes by;"
            " nothing is recorded on it until that enrolment is dealt with",
        )
    return uow.get(SiteStock, found)


def draws_on(uow: UnitOfWork, stock: SiteStock) -> DrawsOn:
    """The record of draws on each lot of ``stock``'s site, read as a decision asks for it:
    read in the batch, so a draw stored before the batch commits runs it again."""
    return lambda lot: uow.get(LotDraws, draws_id(stock.site, lot))


def _on_site(
    site: str, decide: Callable[[SiteStock, UUID, DrawsOn], object], entry_id: UUID | None = None
) -> Command[UUID]:
    """Most commands decide on one site's record (and what takes from a lot, on the lot's
    record of draws) and answer with the id of what they recorded: the one they were given,
    or one drawn now, when the command is built."""
    answer = entry_id or uuid4()

    def run(uow: UnitOfWork) -> UUID:
        stock = site_stock(uow, site)
        decide(stock, answer, draws_on(uow, stock))
        return answer

    return named_for(run, decide)


def receive(stamp: Stamp, *, site: str, receipt: Receipt, rules: MedicationRules) -> Command[UUID]:
    return _on_site(
        site,
        lambda stock, new_id, _: movements.receive(stock, stamp, rules, site, new_id, receipt),
    )


def waste(
    stamp: Stamp, *, site: str, waste: Waste, ledger: Ledger, rules: MedicationRules
) -> Command[UUID]:
    return _on_site(
        site,
        lambda stock, new_id, draws: movements.waste(
            stock, stamp, rules, new_id, waste, ledger, draws
        ),
    )


def transfer(
    stamp: Stamp, *, site: str, transfer: Transfer, ledger: Ledger, rules: MedicationRules
) -> Command[UUID]:
    transfer_id = uuid4()

    def run(uow: UnitOfWork) -> UUID:
        source = site_stock(uow, site)
        target = site_stock(uow, transfer.to_site.strip())
        draws = draws_on(uow, source)
        movements.transfer(source, target, stamp, rules, transfer_id, transfer, ledger, draws)
        return transfer_id

    return run


def enter_in_error(
    stamp: Stamp, *, site: str, in_error: InError, ledger: Ledger, rules: MedicationRules
) -> Command[UUID]:
    """Answers with the entry's id, or with a corrected amount the new receipt's."""
    return _on_site(
        site,
        lambda stock, new_id, draws: corrections.enter_in_error(
            stock, stamp, rules, in_error, ledger, new_id, draws
        ),
        None if in_error.received_amount is not None else in_error.entry_id,
    )


def enter_transfer_in_error(
    stamp: Stamp,
    *,
    site: str,
    to_site: str,
    in_error: TransferInError,
    ledger: Ledger,
    rules: MedicationRules,
) -> Command[UUID]:
    """Marks at ``site``, which sent it, and at ``to_site``, which it went to; ``ledger`` is
    the receiving site's as of the transfer. Answers with the transfer's id."""

    def run(uow: UnitOfWork) -> UUID:
        source = site_stock(uow, site)
        transfers_in_error.sent_from(source, in_error.transfer_id, to_site)
        target = site_stock(uow, to_site)
        transfers_in_error.enter_in_error(
            source, target, stamp, rules, in_error, ledger, draws_on(uow, target)
        )
        return in_error.transfer_id

    return run


def count(
    stamp: Stamp, *, site: str, count: Count, ledger: Ledger, rules: MedicationRules
) -> Command[UUID]:
    return _on_site(
        site, lambda stock, new_id, _: counts.count(stock, stamp, rules, new_id, count, ledger)
    )


def witness(
    stamp: Stamp, *, site: str, entry_id: UUID, rules: MedicationRules, in_error: bool = False
) -> Command[UUID]:
    return _on_site(
        site,
        lambda stock, _, __: counts.witness(stock, stamp, rules, entry_id, in_error=in_error),
        entry_id,
    )


def resolve(
    stamp: Stamp,
    *,
    site: str,
    alert_id: UUID,
    resolution: Resolution,
    note: str,
    ledger: Ledger,
    rules: MedicationRules,
) -> Command[UUID]:
    return _on_site(
        site,
        lambda stock, _, draws: counts.resolve(
            stock, stamp, rules, alert_id, resolution, note, ledger, draws
        ),
        alert_id,
    )


def register_site(
    stamp: Stamp, *, site: str, rules: MedicationRules, taken: Collection[str]
) -> Command[UUID]:
    """Answers with the id the site's stock goes by; ``taken`` as ``sites.register``."""

    def run(uow: UnitOfWork) -> UUID:
        held = uow.get(SiteName, site_name_id(site))
        sites.register(site_stock(uow, site), held, stamp, rules, site, taken)
        return stock_id(site)

    return run


def retire_site(stamp: Stamp, *, site: str, rules: MedicationRules) -> Command[UUID]:
    """Answers with the id the site's stock goes by."""

    def run(uow: UnitOfWork) -> UUID:
        held = uow.get(SiteName, site_name_id(site))
        sites.retire(site_stock(uow, site), held, stamp, rules, site)
        return stock_id(site)

    return run
