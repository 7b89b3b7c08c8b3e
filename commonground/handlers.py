"""The ASGI handler for HTTP: Django's, with the middleware and view stack run as one sync call.

Every middleware and view of this project is sync. Under Django's own ASGI handler a request
then crosses between the event loop and a thread four or five times (into the sync middleware,
back out to the async core, into the view, and back); a crossing costs 0.27 ms of CPU on the
2-core machine measured (Django's docs, "Asynchronous support", warn of this cost). Here the
whole stack runs in one crossing, as it would under WSGI: the same request took 8.4 ms of CPU
instead of 10.8 (docs/performance.md, fourth session). Request signals, disconnect handling
and streaming stay Django's."""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncStackASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        # Build the chain as WSGIHandler does: sync from the first middleware to the view.
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        # thread_sensitive: the request's own thread (ASGIHandler opens a
        # ThreadSensitiveContext per request), where its database connection lives.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
