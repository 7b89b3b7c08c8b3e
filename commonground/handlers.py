"""The ASGI handler for HTTP: Django's, with the middleware and view stack run as one sync call.

Every middleware and view of this project is sync. Under Django's own ASGI handler a request
then crosses between the event loop and a thread four or five times (into the sync middleware,
back out to the async core, into the view, and back), and each crossing costs about a
millisecond of CPU on a small server (Django's docs, "Asynchronous support": performance). Here
the whole stack runs in one crossing, as it would under WSGI: a vote costs a third less CPU
(docs/performance.md). Request signals, disconnect handling and streaming stay Django's."""

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
