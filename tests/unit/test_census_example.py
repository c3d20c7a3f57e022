"""The example downstream service's decoding (carecoord.examples.census): typed by the
Carecoord-Type header, and a payload newer than its catalog is refused, never misread."""

from __future__ import annotations

import json
import logging
from typing import cast

import pytest
from every_event import ADMIN, Record
from faststream.nats import NatsMessage
from nats.aio.msg import Msg

from carecoord.events import ClientEnrolled, catalog, headers
from carecoord.events.care import (
    ClientDischarged,
    ClientReadmitted,
    DischargeEnteredInError,
    DischargeReason,
    LevelOfCare,
    LevelOfCareChanged,
    ReadmissionEnteredInError,
)
from carecoord.examples.census import Census, NewerThanCatalog, decode, log_unreadable, of_type


def enrolled() -> ClientEnrolled:
    return Record().add(ClientEnrolled, ADMIN, display_name="Alex R.", program="OTP")


def message(body: bytes, event: ClientEnrolled) -> NatsMessage:
    """What FastStream hands the decoder and the filters (the raw message is not read)."""
    raw = cast("Msg", None)
    return NatsMessage(raw_message=raw, body=body, headers=headers.for_event(event, 12))


async def test_a_message_decodes_to_its_catalog_model() -> None:
    event = enrolled()
    received = message(catalog.encode(event), event)
    assert of_type(ClientEnrolled)(received)
    assert not of_type(LevelOfCareChanged)(received)
    assert await decode(received) == event


async def test_a_payload_newer_than_the_catalog_is_refused() -> None:
    event = enrolled()
    body = json.loads(catalog.encode(event)) | {"schema_version": 2, "referral": "court"}
    with pytest.raises(NewerThanCatalog, match=r"care.ClientEnrolled v2 arrived"):
        await decode(message(json.dumps(body).encode(), event))


def test_a_discharge_takes_a_client_out_of_the_census_until_a_readmission() -> None:
    record = Record()
    census = Census()
    census.apply(1, record.add(ClientEnrolled, ADMIN, display_name="Alex R.", program="OTP"))
    census.apply(2, record.add(LevelOfCareChanged, ADMIN, level=LevelOfCare.INTENSIVE_OUTPATIENT))
    assert census.by_level() == {("OTP", "intensive_outpatient"): 1}

    discharged = record.add(
        ClientDischarged, ADMIN, reason=DischargeReason.TREATMENT_COMPLETED,
        admitted_at=record.events[0].occurred_at, level=LevelOfCare.INTENSIVE_OUTPATIENT,
    )  # fmt: skip
    census.apply(3, discharged)
    assert census.by_level() == {}
    census.apply(
        4,
        record.add(ClientReadmitted, ADMIN, program="OTP", discharged_at=discharged.occurred_at),
    )
    assert census.by_level() == {("OTP", "unknown"): 1}
    census.apply(3, discharged)  # redelivered: skipped
    assert (census.skipped, census.by_level()) == (1, {("OTP", "unknown"): 1})


def test_an_episode_step_entered_in_error_counts_the_client_as_before_it() -> None:
    record = Record()
    census = Census()
    census.apply(1, record.add(ClientEnrolled, ADMIN, display_name="Alex R.", program="OTP"))
    census.apply(2, record.add(LevelOfCareChanged, ADMIN, level=LevelOfCare.OUTPATIENT))
    discharged = record.add(
        ClientDischarged, ADMIN, reason=DischargeReason.DECEASED,
        admitted_at=record.events[0].occurred_at, level=LevelOfCare.OUTPATIENT,
    )  # fmt: skip
    census.apply(3, discharged)
    readmitted = record.add(
        ClientReadmitted, ADMIN, program="OTP", discharged_at=discharged.occurred_at
    )
    census.apply(4, readmitted)
    census.apply(
        5,
        record.add(ReadmissionEnteredInError, ADMIN, entry_event_id=readmitted.event_id,
                   reason="wrong client", readmitted_at=readmitted.occurred_at,
                   discharged_at=discharged.occurred_at),
    )  # fmt: skip
    assert census.by_level() == {}
    census.apply(
        6,
        record.add(DischargeEnteredInError, ADMIN, entry_event_id=discharged.event_id,
                   reason="wrong client", discharged_at=discharged.occurred_at,
                   admitted_at=discharged.admitted_at),
    )  # fmt: skip
    assert census.by_level() == {("OTP", "outpatient"): 1}


def test_a_late_event_is_applied_in_its_place_and_a_repeat_of_it_is_skipped() -> None:
    alex, sam = Record(), Record()
    census = Census()
    census.apply(1, alex.add(ClientEnrolled, ADMIN, display_name="Alex R.", program="OTP"))
    late = sam.add(ClientEnrolled, ADMIN, display_name="Sam K.", program="OTP")  # position 2
    census.apply(3, sam.add(LevelOfCareChanged, ADMIN, level=LevelOfCare.RESIDENTIAL))
    census.apply(4, alex.add(LevelOfCareChanged, ADMIN, level=LevelOfCare.OUTPATIENT))
    census.pass_over(5)
    assert census.by_level() == {("OTP", "outpatient"): 1}

    census.apply(2, late)
    assert census.by_level() == {("OTP", "outpatient"): 1, ("OTP", "residential"): 1}
    census.apply(2, late)  # redelivered: skipped
    census.pass_over(5)
    assert (census.skipped, census.position) == (2, 5)
    assert census.by_level() == {("OTP", "outpatient"): 1, ("OTP", "residential"): 1}


def test_a_skipped_message_is_named_by_code_and_sequence_in_the_plain_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log_unreadable(4242)

    (record,) = caplog.records
    line = logging.Formatter(logging.BASIC_FORMAT).format(record)  # as ``main`` logs
    assert "MESSAGE_UNREADABLE" in line
    assert "4242" in line
