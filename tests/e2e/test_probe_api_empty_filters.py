"""A read's filter list given empty (``kinds: []``, ``measures: []``, ``status: []``) is
refused naming it (``<field>-not-empty``), before anything is read or logged. Before, each
read took it as the filter left out and answered every kind, measure or status: the
opposite of a list that names none."""

from __future__ import annotations

import pytest
from medication_steps import DOCTOR, NURSE, Clinic

from carecoord.events import Role
from support import Api

pytestmark = pytest.mark.shared_platform

READS = {
    "kinds": "query($id: UUID!, $l: [Kind!]) { clientTimeline(clientId: $id, kinds: $l)"
    " { edges { cursor } } }",
    "measures": "query($id: UUID!, $l: [String!]) { checkInSeries(clientId: $id, measures: $l)"
    " { measure } }",
    "status": "query($id: UUID!, $l: [AlertStatus!]) { clientAlerts(clientId: $id, status: $l)"
    " { alertId } }",
}
GIVEN = {"kinds": ["CHECK_IN"], "measures": ["craving"], "status": ["OPEN"]}
MY_ALERTS = "query($l: [AlertStatus!]) { myAlerts(status: $l) { alerts { alertId } } }"
ACCESS_LOG = "query($id: UUID) { accessLog(clientId: $id, first: 500) { operation } }"


@pytest.mark.parametrize("field", sorted(READS))
async def test_an_empty_filter_is_refused_naming_it(api: Api, field: str) -> None:
    clinic = await Clinic.enroll(api, "Filter F.")

    body = await api.gql(
        READS[field], {"id": clinic.client_id, "l": []}, role=Role.PRESCRIBER, user=DOCTOR
    )

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": field, "rule": f"{field}-not-empty"
    }  # fmt: skip
    assert error["message"] == f"{field} is empty: name at least one, or leave {field} out"
    logged = await api.ok(ACCESS_LOG, {"id": clinic.client_id}, role=Role.AUDITOR)
    assert logged["accessLog"] == []
    for named in (None, GIVEN[field]):
        variables = {"id": clinic.client_id, "l": named}
        await api.ok(READS[field], variables, role=Role.PRESCRIBER, user=DOCTOR)


async def test_my_alerts_with_no_status_named_is_refused(api: Api) -> None:
    body = await api.gql(MY_ALERTS, {"l": []}, role=Role.NURSE, user=NURSE)

    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "field": "status", "rule": "status-not-empty"
    }  # fmt: skip
    await api.ok(MY_ALERTS, {"l": ["OPEN"]}, role=Role.NURSE, user=NURSE)
