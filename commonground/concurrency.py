"""Admission control for HTTP requests in one worker process.

Django runs each request's sync code in a thread of its own and takes a database connection
from the pool (DB_POOL_MAX per worker). Under a burst (a plenary voting at once) a worker
would start hundreds of threads that then queue for those connections, fight over the GIL,
and answer 503 once the pool's timeout runs out. Letting fewer requests into Django than there
are connections (HTTP_CONCURRENCY), and the rest wait here in arrival order, serves the same
burst without those errors. WebSockets are not limited here: an open socket holds no
connection (only its snapshot reads one, briefly)."""

import asyncio
import weakref


class ConcurrencyLimit:
    def __init__(self, app, limit: int) -> None:
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self.app = app
        self.limit = limit
        # asyncio primitives belong to one event loop (tests run several, one after another).
        self._semaphores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        async with self._semaphore():
            return await self.app(scope, receive, send)
