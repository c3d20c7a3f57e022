"""A clinician's caseload: one set-based statement over the read models, whatever its size.

It has no table of its own. It starts from the care team (the clients whose team the member
is on now, in the role they act in) and looks up what needs attention: open alerts, doses
taken and missed, the last check-in and the sessions booked, and whether the client is
discharged. Which of those a reader is shown is the API's decision, client by client.

Each is looked up client by client on its view's index (``LATERAL``), so the statement's
cost grows with the team. Joined as views of the whole team, each was planned on the care
team's estimate, which is one client for a team just assigned (before its table is
analysed): the planner ran the whole last-check-in lookup again for each client, a million
index reads for a team of a thousand.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import TypedDict
from uuid import UUID

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from carecoord.events import Role
from carecoord.projections import alerts, careteam, dosing, timeline
from carecoord.projections.rows import fetch

MODELS = (careteam.NAME, timeline.NAME, alerts.NAME, dosing.NAME)
"""The read models the caseload reads: a reader waits for each of them."""

TAKEN = ["given", "replacement", "take-home"]
CHECKED_IN = ["checkins.CheckInRecorded", "checkins.InstrumentScored"]
"""A check-in or a scored instrument, whatever it reports (a check-in of substance use or a
note alone has no point in the check-in series)."""
IN_ERROR = "checkins.CheckInEnteredInError"
"""A correction: the check-in or instrument it names is no one's last check-in."""
EPISODE_STEPS = ["care.ClientDischarged", "care.ClientReadmitted"]
"""The latest of these not marked entered in error says whether the client is discharged
now."""
SESSION_CLOSED = [
    "therapy.SessionAttended",
    "therapy.SessionNoShow",
    "therapy.SessionLateCancelled",
    "therapy.SessionCancelled",
]


class Line(TypedDict):
    """One client of the caseload and what may need attention."""

    client_id: UUID
    since: datetime
    display_name: str | None
    program: str | None
    open_alerts: int
    top_severity: str | None
    consecutive_missed: int
    recent_missed: int
    last_dose_day: date | None
    last_check_in: datetime | None
    check_in_due: datetime
    upcoming: int
    next_session: datetime | None
    discharged_at: datetime | None
    """When the client's episode ended, while they are discharged (None: in treatment)."""
    discharge_reason: str | None


_CASELOAD = sql.SQL(
    """WITH mine AS (
    SELECT client_id, min(started_at) AS since FROM {care_team}
    WHERE member_id = %(member)s AND role = %(role)s AND started_at <= now()
      AND (ended_at IS NULL OR ended_at > now())
    GROUP BY client_id)
SELECT m.client_id, m.since, e.display_name, e.program,
       a.open_alerts, a.top_severity,
       x.consecutive AS consecutive_missed, x.recent AS recent_missed,
       k.last_dose_day, c.last_check_in,
       -- At the program's local time a week on, whatever the clocks did meanwhile.
       ((coalesce(greatest(c.last_check_in,
                           CASE WHEN p.type = {readmitted} THEN p.occurred_at END),
                  e.enrolled_at, m.since) AT TIME ZONE %(zone)s) + %(every)s)
         AT TIME ZONE %(zone)s AS check_in_due,
       b.upcoming, b.next_session,
       CASE WHEN p.type = {discharged} THEN p.occurred_at END AS discharged_at,
       CASE WHEN p.type = {discharged} THEN p.reason END AS discharge_reason
FROM mine m
LEFT JOIN LATERAL (
    SELECT t.facts->>'display_name' AS display_name, t.facts->>'program' AS program,
           t.occurred_at AS enrolled_at
    FROM {timeline} t WHERE t.client_id = m.client_id AND t.type = 'care.ClientEnrolled'
    ORDER BY t.position LIMIT 1) e ON true
LEFT JOIN LATERAL (
    SELECT t.type, t.occurred_at, t.facts->>'reason' AS reason
    FROM {timeline} t WHERE t.client_id = m.client_id AND t.type IN ({episode_steps})
      AND {step_standing}
    ORDER BY t.occurred_at DESC, t.position DESC LIMIT 1) p ON true
CROSS JOIN LATERAL (
    SELECT count(*) AS open_alerts,
           (array_agg(a.severity ORDER BY array_position(%(severities)s::text[], a.severity)))[1]
             AS top_severity
    FROM {alerts} a WHERE a.client_id = m.client_id AND a.status <> 'resolved'
      AND (%(alert_rules)s::text[] IS NULL OR a.rule_id = ANY(%(alert_rules)s))) a
CROSS JOIN LATERAL (
    SELECT max(d.day) FILTER (
             WHERE d.status = ANY(%(taken)s) AND d.day <= %(today)s AND {taken}
           ) AS last_dose_day
    FROM {dosing} d WHERE d.client_id = m.client_id) k
CROSS JOIN LATERAL (
    SELECT count(DISTINCT d.day) FILTER (
             WHERE d.day > coalesce(k.last_dose_day, '-infinity'::date)
               AND p.type IS DISTINCT FROM {discharged}
               AND d.day >= coalesce(CASE WHEN p.type = {readmitted}
                                     THEN (p.occurred_at AT TIME ZONE %(zone)s)::date END,
                                     '-infinity'::date)) AS consecutive,
           count(DISTINCT d.day) FILTER (WHERE d.day >= %(missed_from)s) AS recent
    FROM {dosing} d WHERE d.client_id = m.client_id AND d.status = 'missed'
      AND {unexplained}) x
LEFT JOIN LATERAL (
    SELECT t.occurred_at AS last_check_in FROM {timeline} t WHERE t.client_id = m.client_id
      AND t.type IN ({checked_in})
      AND NOT EXISTS (SELECT 1 FROM {timeline} x WHERE x.client_id = t.client_id
                      AND x.type = {in_error}
                      AND x.facts->>'entry_event_id' = t.event_id::text)
    ORDER BY t.occurred_at DESC LIMIT 1) c ON true
CROSS JOIN LATERAL (
    SELECT count(*) AS upcoming, min(s.at) AS next_session
    FROM {timeline} t,
         LATERAL (SELECT t.facts->>'scheduled_for' AS text) f,
         -- By hand where an offset is written: timestamptz reads none past 15:59, and
         -- versions before the offset bound stored such times.
         LATERAL (SELECT CASE WHEN f.text ~ '[+-][0-9][0-9]:[0-9][0-9]$'
                   THEN (left(f.text, -6)::timestamp - right(f.text, 6)::interval)
                        AT TIME ZONE 'UTC'
                   ELSE f.text::timestamptz END AS at) s
    WHERE t.client_id = m.client_id AND t.type = 'therapy.SessionScheduled' AND s.at > now()
      AND NOT EXISTS (SELECT 1 FROM {timeline} o WHERE o.client_id = t.client_id
                      AND o.type = ANY(%(closed)s)
                      AND o.facts->>'session_id' = t.facts->>'session_id')) b"""
).format(
    care_team=sql.Identifier(careteam.NAME),
    timeline=sql.Identifier(timeline.NAME),
    alerts=sql.Identifier(alerts.NAME),
    dosing=sql.Identifier(dosing.NAME),
    taken=dosing.taken("d"),
    unexplained=dosing.unexplained("d"),
    # Written out, so the planner reads the timeline's partial index for them.
    checked_in=sql.SQL(", ").join(map(sql.Literal, CHECKED_IN)),
    in_error=sql.Literal(IN_ERROR),
    episode_steps=sql.SQL(", ").join(map(sql.Literal, EPISODE_STEPS)),
    step_standing=timeline.standing("t"),
    discharged=sql.Literal(EPISODE_STEPS[0]),
    readmitted=sql.Literal(EPISODE_STEPS[1]),
)


async def of_member(
    pool: AsyncConnectionPool,
    member_id: str,
    role: Role,
    *,
    severity_order: list[str],
    today: date,
    zone: str,
    missed_from: date,
    check_in_every: timedelta,
    alert_rules: Collection[str] | None = None,
) -> list[Line]:
    """The clients whose care team ``member_id`` is on now in ``role``, in no order: open
    alerts count those of ``alert_rules`` (None: every rule's) and their severities rank by
    ``severity_order``, the last dose is the last taken by the program's ``today`` (a
    take-home bottle for a day to come is not taken yet, nor one brought back whole), the run
    of missed days is the episode's in progress (none while discharged, from the
    readmission's day in ``zone`` after one), recent missed days count from ``missed_from``,
    and a check-in is due ``check_in_every`` after the last (or the enrolment), or after a
    readmission since, on the clocks of ``zone``."""
    return await fetch(
        pool,
        Line,
        _CASELOAD,
        {
            "member": member_id,
            "role": role.value,
            "severities": severity_order,
            "taken": TAKEN,
            "closed": SESSION_CLOSED,
            "today": today,
            "zone": zone,
            "missed_from": missed_from,
            "every": check_in_every,
            "alert_rules": None if alert_rules is None else sorted(alert_rules),
        },
    )
