"""Admission control for HTTP requests in one worker process.

Django runs each request's sync code in a thread of its own and takes a database connection
from the pool (DB_POOL_MAX per worker). Under a burst (a plenary voting at once) a worker
would start hundreds of threads that then queue for those connections, fight over the GIL,
and answer 503 once the pool's timeout runs out. Letting fewer requests into Django than there
are connections (HTTP_CONCURRENCY), and the rest wait here in arrival order, serves the same
burst without those errors. WebSockets are not limited here: an open socket holds no
connection (only its snapshot reads one, briefly).

Static files and the views named in settings.DATABASE_FREE_VIEWS take no database connection
either, so they are not queued behind the requests that do: when PostgreSQL is cut or hung, those fill
the admission slots while they wait for it, and the join form and the stylesheet took 4 to 10
s to answer (tests/chaos/test_database_fault_burst.py)."""

import asyncio
import weakref

from django.urls import Resolver404, resolve


def needs_no_database(path: str, static_prefix: str, views: frozenset[str]) -> bool:
    """Whether the request for ``path`` is for a static file or one of ``views`` (URL names)."""
    if path.startswith(static_prefix):
        return True
    try:
        return resolve(path).view_name in views
    except Resolver404:
        return False


class ConcurrencyLimit:
    def __init__(
        self, app, limit: int, static_prefix: str = "/static/", database_free_views=()
    ) -> None:
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self.app = app
        self.limit = limit
        self.static_prefix = static_prefix
        self.database_free_views = frozenset(database_free_views)
        # asyncio primitives belong to one event loop (tests run several, one after another).
        self._semaphores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or needs_no_database(
            scope["path"], self.static_prefix, self.database_free_views
        ):
            return await self.app(scope, receive, send)
        async with self._semaphore():
            return await self.app(scope, receive, send)
