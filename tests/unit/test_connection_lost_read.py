"""A read whose database connection was lost (PostgreSQL restarted or failed over, an
operator's pg_terminate_backend) is answered UNAVAILABLE, rule database-connection-lost, to
retry: the pool gives the retry another connection. It was INTERNAL_SERVER_ERROR, and for a
few seconds after each restart every read on a connection that died with it looked like a
fault of the platform, with no word that asking again would do. A mutation stays an internal
error: its outcome is not known (the commit may have been made), and a retry without its
Idempotency-Key could record it twice."""

from __future__ import annotations

import psycopg
import pytest
from eventsourcing.persistence import OperationalError

from carecoord.graphql.errors import shaped
from graphql import GraphQLError, parse

READ = parse('{ clientTimeline(clientId: "c") { edges { cursor } } }')
WRITE = parse('mutation { enrollClient(input: {displayName: "A", program: "P"}) { id } }')
ENDED = "terminating connection due to administrator command"


def lost() -> list[Exception]:
    wrapped = OperationalError(ENDED)
    wrapped.__cause__ = psycopg.errors.AdminShutdown(ENDED)
    return [
        psycopg.errors.AdminShutdown(ENDED),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        psycopg.errors.ConnectionFailure("connection failure"),
        wrapped,
    ]


def failure(original: Exception, path: str) -> GraphQLError:
    return GraphQLError(str(original), path=[path], original_error=original)


@pytest.mark.parametrize("original", lost())
def test_a_read_whose_connection_was_lost_is_unavailable_to_retry(original: Exception) -> None:
    shown = shaped(failure(original, "clientTimeline"), mask=False, document=READ)

    extensions = shown.extensions or {}
    assert (extensions["code"], extensions["rule"]) == ("UNAVAILABLE", "database-connection-lost")
    assert "retry" in shown.message
    assert ENDED not in shown.message


@pytest.mark.parametrize("original", lost())
def test_a_write_whose_connection_was_lost_stays_internal(original: Exception) -> None:
    shown = shaped(failure(original, "enrollClient"), mask=True, document=WRITE)

    assert (shown.extensions or {})["code"] == "INTERNAL_SERVER_ERROR"


def test_another_database_error_of_a_read_stays_internal() -> None:
    refused = psycopg.errors.UndefinedTable('relation "timeline_g1" does not exist')
    shown = shaped(failure(refused, "clientTimeline"), mask=True, document=READ)

    assert (shown.extensions or {})["code"] == "INTERNAL_SERVER_ERROR"
