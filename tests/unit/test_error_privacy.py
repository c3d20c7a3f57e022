"""Errors outside the API keep their content to themselves: a database error's message (it
may quote data) reaches no production caller and no log; a refusal keeps its message for
the caller only."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import psycopg
from eventsourcing.persistence import IntegrityError

from carecoord.graphql.errors import shaped
from carecoord.services.kernel.errors import RuleViolation
from carecoord.services.runtime.logs import JsonFormatter
from graphql import GraphQLError

QUOTED = 'duplicate key value violates unique constraint "x" DETAIL: Key (name)=(Alex R.)'


def failure(original: Exception, *, path: list[str | int] | None) -> GraphQLError:
    return GraphQLError(str(original), path=path, original_error=original)


def test_a_database_error_is_internal_and_masked_in_production_wherever_it_surfaced() -> None:
    paths: tuple[list[str | int] | None, ...] = (["clientTimeline"], None)
    for path in paths:
        error = failure(psycopg.errors.UniqueViolation(QUOTED), path=path)

        production = shaped(error, mask=True)
        development = shaped(error, mask=False)

        assert production.extensions is not None
        assert production.extensions["code"] == "INTERNAL_SERVER_ERROR"
        assert "Alex" not in production.message
        assert production.message.startswith("internal error (reference ")
        assert development.message == QUOTED  # kept where only developers see it


def test_the_library_wrapping_a_database_error_is_masked_too() -> None:
    shown = shaped(failure(IntegrityError(QUOTED), path=None), mask=True)

    assert "Alex" not in shown.message


def test_a_refusal_keeps_its_message_for_the_caller() -> None:
    refusal = RuleViolation("acknowledgements", "naltrexone-opioid-free-interval", "naltrexone…")

    shown = shaped(failure(refusal, path=["prescribeMedication"]), mask=True)

    assert shown.message == "naltrexone…"
    assert shown.extensions is not None
    assert shown.extensions["rule"] == "naltrexone-opioid-free-interval"


def test_a_logged_traceback_withholds_a_database_errors_message() -> None:
    try:
        try:
            raise psycopg.errors.UniqueViolation(QUOTED)
        except psycopg.Error as error:
            raise IntegrityError(str(error)) from error
    except IntegrityError:
        record = logging.makeLogRecord(
            {"msg": "command failed", "levelno": logging.ERROR, "exc_info": sys.exc_info()}
        )

    line = json.loads(JsonFormatter().format(record))

    assert "Alex" not in line["exc"]
    assert "psycopg.errors.UniqueViolation: (message withheld) sqlstate=" in line["exc"]
    assert "eventsourcing.persistence.IntegrityError: (message withheld)" in line["exc"]
    assert "raise psycopg.errors.UniqueViolation" in line["exc"]  # the frames stay


def test_other_errors_keep_their_message_in_a_traceback() -> None:
    try:
        raise KeyError("missing-setting")
    except KeyError:
        record = logging.makeLogRecord({"msg": "x", "exc_info": sys.exc_info()})

    assert "missing-setting" in json.loads(JsonFormatter().format(record))["exc"]


UNCAUGHT = f"""
import threading
import psycopg
from carecoord.services.runtime import logs

logs.configure()
failure = psycopg.errors.UniqueViolation({QUOTED!r})
def fail() -> None:
    raise failure
worker = threading.Thread(target=fail)
worker.start()
worker.join()
fail()
"""


def test_an_error_no_one_caught_is_logged_withheld_not_printed() -> None:
    """A bug that lets a database error reach the top, in the main thread or another, is
    one log line with its message withheld, not Python's own traceback quoting data."""
    done = subprocess.run(
        [sys.executable, "-c", UNCAUGHT], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "Alex" not in done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [line["logger"] for line in lines] == ["carecoord.uncaught"] * 2
    assert all("sqlstate=23505" in line["exc"] for line in lines)
