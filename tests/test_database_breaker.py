"""The circuit breaker on database connections (commonground.database_breaker): which errors
say the database cannot be reached, and how long a request waits for a connection while it is
open. The figures under a real fault are tests/chaos/test_database_fault_burst.py's."""

import time

import psycopg
import pytest
from django.db import IntegrityError, OperationalError, connection, connections
from psycopg_pool import PoolTimeout

from commonground.database_breaker import QUICK_LOOK_SECONDS, Breaker, is_connection_failure
from commonground.postgresql.base import QuickLook


def wrapped(error: Exception) -> OperationalError:
    """As Django's wrap_database_errors raises it."""
    try:
        raise OperationalError(*error.args) from error
    except OperationalError as django_error:
        return django_error


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (PoolTimeout("couldn't get a connection after 3.00 sec"), True),
        (psycopg.OperationalError("connection refused"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.errors.ConnectionFailure("server closed the connection"), True),
        (psycopg.errors.SerializationFailure("could not serialize access"), False),
        (psycopg.errors.DeadlockDetected("deadlock detected"), False),
        (psycopg.errors.QueryCanceled("statement timeout"), False),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
    ],
)
def test_only_failures_to_reach_the_server_count(error, unreachable):
    assert is_connection_failure(error) is unreachable
    assert is_connection_failure(wrapped(error)) is unreachable


def test_an_error_that_is_not_the_servers_never_counts():
    assert not is_connection_failure(IntegrityError("a constraint"))
    assert not is_connection_failure(ValueError("not a database error"))


def test_open_the_breaker_asks_for_a_quick_look_until_a_connection_is_made():
    breaker = Breaker()
    assert breaker.pool_wait() is None  # closed: the pool's own timeout

    breaker.failed(wrapped(psycopg.OperationalError("connection refused")))
    assert breaker.pool_wait() == QUICK_LOOK_SECONDS
    breaker.failed(PoolTimeout("couldn't get a connection"))
    assert breaker.pool_wait() == QUICK_LOOK_SECONDS
    breaker.reached()

    assert breaker.pool_wait() is None and not breaker.is_open


@pytest.mark.parametrize("wrap", [lambda error: error, wrapped])
def test_a_pool_busy_handing_out_its_connections_is_not_a_database_away(wrap):
    """A plenary's peak on a full machine: this request waited its whole pool timeout while
    others were handed connections. The database answers; the breaker stays closed, and the
    next taps wait for a connection instead of being answered 503."""
    breaker = Breaker()
    waiting_since = time.monotonic()
    breaker.reached()  # another request got a connection meanwhile

    breaker.failed(wrap(PoolTimeout("couldn't get a connection")), waiting_since)

    assert not breaker.is_open and breaker.pool_wait() is None


@pytest.mark.parametrize("wrap", [lambda error: error, wrapped])
def test_a_pool_timeout_with_no_connection_handed_out_meanwhile_opens_it(wrap):
    """A hung database: every connection is stuck, none was handed out while this request
    waited."""
    breaker = Breaker()
    breaker.reached()
    waiting_since = time.monotonic()

    breaker.failed(wrap(PoolTimeout("couldn't get a connection")), waiting_since)

    assert breaker.is_open


def test_a_refused_connection_opens_it_whatever_the_others_got():
    breaker = Breaker()
    waiting_since = time.monotonic()
    breaker.reached()

    breaker.failed(psycopg.OperationalError("connection refused"), waiting_since)

    assert breaker.is_open


def test_a_query_error_leaves_the_breaker_closed():
    breaker = Breaker()

    breaker.failed(wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))

    assert breaker.pool_wait() is None


def test_a_quick_look_passes_its_wait_to_the_pool_and_nothing_else():
    class Pool:
        name = "pool-1"

        def getconn(self, timeout=None):
            return ("connection", timeout)

    quick = QuickLook(Pool(), 0.25)

    assert quick.getconn() == ("connection", 0.25)
    assert quick.name == "pool-1"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the breaker is PostgreSQL's")
def test_the_project_runs_postgresql_through_the_breaker():
    assert type(connections["default"]).__module__ == "commonground.postgresql.base"
