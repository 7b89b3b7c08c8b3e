"""Django's PostgreSQL backend, with the connection circuit breaker
(commonground.database_breaker): while the database is known to be unreachable a request waits
only a moment for a pooled connection, and every attempt tells the breaker how it went."""

import time

from django.db.backends.postgresql import base
from psycopg_pool.base import AttemptWithBackoff

from commonground.database_breaker import breaker, is_connection_failure

# psycopg_pool tries a failed connection again after 1 s, then 2 s, 4 s... (until the pool's
# reconnect_timeout): after an outage the first pooled connection came up to 2 s after the
# server was back, and the requests meanwhile were answered 503. A try every tenth of a second
# costs nothing against a refused port, and at most a pool worker's connect_timeout against a
# hung server; the first request after the outage then finds a connection.
AttemptWithBackoff.INITIAL_DELAY = 0.1
AttemptWithBackoff.DELAY_BACKOFF = 1.0


class QuickLook:
    """The pool, asked for a connection with a wait of its own; anything else is the pool's."""

    def __init__(self, pool, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout

    def getconn(self, timeout: float | None = None):
        return self._pool.getconn(timeout=self._timeout)

    def __getattr__(self, name: str):
        return getattr(self._pool, name)


class DatabaseWrapper(base.DatabaseWrapper):
    _pool_wait: float | None = None  # set while get_new_connection runs (one per thread)

    @property
    def pool(self):
        pool = base.DatabaseWrapper.pool.fget(self)
        if pool is None or self._pool_wait is None:
            return pool
        return QuickLook(pool, self._pool_wait)

    def get_new_connection(self, conn_params):
        self._pool_wait = breaker.pool_wait()
        waiting_since = time.monotonic()
        try:
            connection = super().get_new_connection(conn_params)
        except Exception as error:
            if is_connection_failure(error):
                breaker.failed(error, waiting_since)
            raise
        finally:
            self._pool_wait = None
        breaker.reached()
        return connection
