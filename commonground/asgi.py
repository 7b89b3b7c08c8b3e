"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonground.settings")
# As django.core.asgi.get_asgi_application, with the one-crossing handler (handlers.py);
# Django is set up before the consumers are imported (Channels docs).
django.setup(set_prefix=False)

from commonground.handlers import SyncStackASGIHandler  # noqa: E402

django_asgi_app = SyncStackASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import re_path  # noqa: E402

from commonground.concurrency import ConcurrencyLimit  # noqa: E402
from commonground.quick_writes import QuickWrites  # noqa: E402
from commonground.websocket_guards import SameOriginWebSockets, unknown_path  # noqa: E402
from sessions.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # A plenary's votes and needs in the event loop, on the database's async connection;
        # every other request, and any write that is not the plain case, through Django.
        "http": QuickWrites(
            ConcurrencyLimit(
                django_asgi_app,
                settings.HTTP_CONCURRENCY,
                static_prefix=settings.STATIC_URL,  # "/static/": Django adds the script prefix
                database_free_views=settings.DATABASE_FREE_VIEWS,
            )
        ),
        # Origin check first (scheme, host and port): a page on another site must not open a
        # socket with our cookies. A path with no consumer is refused, not a 500. Sockets get
        # their cookies only: a screen is a participant by its device cookie, or a board, never
        # a Django user, so the auth and session middleware (a database read per connect and a
        # session wrapper around every one of the worker's sends) has nothing to do here.
        "websocket": SameOriginWebSockets(
            CookieMiddleware(URLRouter([*websocket_urlpatterns, re_path(r"", unknown_path)]))
        ),
    }
)
