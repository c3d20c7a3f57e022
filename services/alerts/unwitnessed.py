"""Take-home returns no witness confirmed: the take-home-return-unwitnessed alert.

Bottles brought back are destroyed before a second staff member, who confirms it under their
own login (``witnessTakeHomeReturn``, ``medication/returns.py``). A return its witness never
confirms is a controlled substance destroyed on one person's word: the DEA log shows it
unwitnessed for good, and a return recorded to cover doses diverted looks just so. So a return
still unconfirmed ``threshold`` hours after the bottles came back (24 by default: a shift and
the next, for a witness who went home) raises the alert for the care team, one per return,
dated when the bound passed; the witness's confirmation resolves it. Nothing triggers it but
the clock, so a sweep asks (``runtime/return_sweep.py``), as the missed-dose sweep does.

The row is one of the alert table's (``rules.py``): a program sets its hours (``threshold``)
or its severity, or turns it off, and its alerts carry the row's version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from carecoord.services.alerts.evaluation import Finding, alert_raised
from carecoord.services.alerts.record import AlertRecord, Status
from carecoord.services.alerts.rules import AlertRules
from carecoord.services.kernel.stamp import Stamp
from carecoord.services.medication.record import MedicationRecord

UNWITNESSED = "take-home-return-unwitnessed"


def flag(alerts: AlertRecord, record: MedicationRecord, rules: AlertRules, now: datetime) -> int:
    """Raise on ``alerts`` the alert of each return on ``record`` unconfirmed for the row's
    hours by ``now`` and not alerted on yet; how many were raised."""
    rule = rules.rule(UNWITNESSED)
    if rule is None:
        return 0
    bound = timedelta(hours=rule.threshold)
    raised = 0
    for returned, attestation in record.returns.values():
        due = returned.occurred_at + bound
        if attestation.witnessed or due > now:
            continue
        count = len(returned.bottles)
        detail = (
            f"take-home return {returned.return_id} of {returned.day}: {count}"
            f" bottle{'' if count == 1 else 's'} destroyed before {returned.witness_id}, not"
            f" confirmed by them within {rule.threshold} h"
        )
        alert = alert_raised(rule, returned, Finding(detail, (returned.event_id,)))
        if alert.alert_id not in alerts.alerts:
            alerts.raise_alert(alert.model_copy(update={"occurred_at": due, "recorded_at": now}))
            raised += 1
    return raised


def confirmed(alerts: AlertRecord, stamp: Stamp, returned_event_id: UUID) -> None:
    """Resolve the open alert on the return whose event is ``returned_event_id``: its witness
    confirmed it."""
    note = "the witness confirmed the return under their own login (witnessTakeHomeReturn)"
    for alert_id, alert in list(alerts.alerts.items()):
        if (
            alert.rule_id == UNWITNESSED
            and returned_event_id in alert.evidence
            and alert.status is not Status.RESOLVED
        ):
            alerts.resolve(stamp, alert_id, note, None)
