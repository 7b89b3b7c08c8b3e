"""A circuit breaker on database connections, per worker process.

When PostgreSQL is cut or hung, every request that needs it waits for a pooled connection for
the pool's whole timeout, in the admission queue's order (commonground.concurrency): a 4 s fault
under a burst kept requests waiting 10 s and more, long after the database was back. Once a
connection-level failure is seen (a pool timeout, a refused or broken connection), the breaker
is open: each request only takes a quick look for a working connection (QUICK_LOOK_SECONDS
instead of the pool's timeout), and is answered 503 "try again" with Retry-After if there is
none (commonground.middleware). The first connection made closes it again, so the first
requests once the database is back succeed. An error of a query (a deadlock, a serialization
failure, a constraint) is not a connection failure and never opens it."""

import logging
import threading
import time

import psycopg
from django.db import DatabaseError, InterfaceError
from psycopg_pool import PoolTimeout

logger = logging.getLogger(__name__)

# Long enough for the pool to open a fresh connection to a server that is back (a few
# milliseconds on a local network), short enough that a burst during an outage drains at once.
QUICK_LOOK_SECONDS = 0.25


def is_connection_failure(error: BaseException) -> bool:
    """A failure to reach the server, as opposed to an error of a query: psycopg's pool timing
    out, an interface error (a closed connection), or an operational error without a server
    SQLSTATE or with one of class 08 (connection exception) or 57P (the server shutting
    down). ``error`` is psycopg's, or Django's wrapping it."""
    cause = _cause(error)
    if isinstance(cause, PoolTimeout | psycopg.InterfaceError | InterfaceError):
        return True
    if isinstance(cause, psycopg.OperationalError):
        return cause.sqlstate is None or cause.sqlstate.startswith(("08", "57P"))
    return False


def _cause(error: BaseException) -> BaseException:
    """psycopg's error, under Django's wrapping if any."""
    return error.__cause__ if isinstance(error, DatabaseError) and error.__cause__ else error


class Breaker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = False
        self._last_reached = float("-inf")  # time.monotonic() of the last connection handed out

    @property
    def is_open(self) -> bool:
        return self._open

    def pool_wait(self) -> float | None:
        """How long the next request may wait for a pooled connection: the pool's own timeout
        (None) while closed, a quick look while open."""
        return QUICK_LOOK_SECONDS if self._open else None

    def reached(self) -> None:
        """A connection was made or handed out: the database answers."""
        self._last_reached = time.monotonic()
        if self._open:
            with self._lock:
                if self._open:
                    logger.warning("database reachable again")
                self._open = False

    def failed(self, error: BaseException, waiting_since: float | None = None) -> None:
        """Open the breaker if ``error`` says the database cannot be reached. A pool's timeout
        is not such a failure if other requests were handed connections while this one waited
        (``waiting_since``: time.monotonic() when it began): the pool is busy, a plenary's
        peak on a full machine, and the database answers; opening the breaker then answered
        taps 503 that a moment's wait would have stored (docs/performance.md)."""
        if not is_connection_failure(error):
            return
        busy = waiting_since is not None and self._last_reached > waiting_since
        if busy and isinstance(_cause(error), PoolTimeout):
            return
        with self._lock:
            if not self._open:
                logger.warning(
                    "database unreachable (%s): requests take a quick look for a connection, "
                    "then 503",
                    error,
                )
            self._open = True

    def reset(self) -> None:
        """Closed, as at start (tests)."""
        with self._lock:
            self._open = False


breaker = Breaker()
