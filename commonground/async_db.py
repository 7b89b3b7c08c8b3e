"""PostgreSQL on psycopg's async connection, for the one request that must not cross into a
thread: a plenary's votes (sessions.services.quick_votes).

Django's ORM runs in a worker's threads; a vote through it costs a thread crossing, the ORM's
compile and a round trip per query, and at 167 taps a second that was the worker's whole CPU
(docs/performance.md). This pool gives the event loop its own connections, to the same
database with the same connection parameters as Django's, few of them and bounded in time:
waiting for one gives up after the pool's timeout, and a connection attempt after
DB_CONNECT_TIMEOUT. While Django's circuit breaker is open (commonground.database_breaker),
nothing asks this pool: the request goes the ordinary way, which answers 503 at once.

One pool per event loop (a worker has one; tests run several in turn)."""

import asyncio
import time
import weakref
from contextlib import asynccontextmanager

import psycopg
from django.conf import settings
from django.db import connections
from psycopg import AsyncClientCursor, AsyncConnection
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from commonground.database_breaker import breaker

_pools: "weakref.WeakKeyDictionary[object, AsyncConnectionPool]" = weakref.WeakKeyDictionary()
_CONNECTION_KEYS = ("dbname", "user", "password", "host", "port", "connect_timeout", "sslmode")
# How these connections are named in pg_stat_activity (an operator, and the tests' teardown).
APPLICATION_NAME = "commonground-quick"


def available() -> bool:
    """Whether this process's database is PostgreSQL (the only one with an async path)."""
    return connections["default"].vendor == "postgresql"


def conninfo() -> str:
    """Django's connection parameters for the default database, as a psycopg conninfo."""
    params = connections["default"].get_connection_params()
    chosen = {key: params[key] for key in _CONNECTION_KEYS if params.get(key)}
    return make_conninfo(**chosen, application_name=APPLICATION_NAME)


def _pool_timeout() -> float:
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool", {})
    return float(pool.get("timeout", 3)) if isinstance(pool, dict) else 3.0


async def _pool(loop) -> AsyncConnectionPool:
    pool = _pools.get(loop)
    if pool is None:
        pool = AsyncConnectionPool(
            conninfo(),
            min_size=1,
            max_size=settings.DB_QUICK_POOL_MAX,
            timeout=_pool_timeout(),
            # As Django's reconnect_timeout: give up a failed reconnection soon, and let the
            # next request start a fresh one.
            reconnect_timeout=2,
            # Client-side binding, as Django's cursors: the statements shared with the ORM's
            # path (voting._PLACE_SQL) leave some parameters' types to their context.
            kwargs={"autocommit": True, "cursor_factory": AsyncClientCursor},
            open=False,
            name="quick",
        )
        _pools[loop] = pool
        await pool.open(wait=False)
    return pool


@asynccontextmanager
async def connection():
    """A connection of this loop's pool (autocommit: open a transaction with
    ``conn.transaction()``). Raises psycopg_pool.PoolTimeout when none comes in time."""
    pool = await _pool(asyncio.get_running_loop())
    waiting_since = time.monotonic()
    try:
        async with pool.connection() as conn:
            breaker.reached()
            yield conn
    except (PoolTimeout, psycopg.Error) as error:
        # The database out of reach opens Django's breaker (an error of a query does not, nor
        # a pool busy handing its connections to others): the next votes go straight to
        # Django, which answers 503 at once.
        breaker.failed(error, waiting_since)
        raise


async def close_all() -> None:
    """Close this loop's pool (tests)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()


__all__ = ["AsyncConnection", "available", "close_all", "connection", "conninfo"]
