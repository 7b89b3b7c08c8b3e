"""Project-wide middleware: a clear "try again" answer when the database is unreachable."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from commonground.database_breaker import breaker

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for htmx and JSON clients, a plain page for browsers. The
    page touches neither the database nor the session (both may be what is down)."""
    message = _("The server cannot reach its database for a moment. Nothing is lost: try again.")
    wants_json = request.headers.get("HX-Request") == "true" or "application/json" in (
        request.headers.get("Accept", "")
    )
    if wants_json:
        response = JsonResponse({"error": message, "retry": True}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database outage during a view into a 503 "try again" (last in MIDDLEWARE, so
    it sees the view's exception first). Outages inside other middleware reach handler500,
    which answers the same way (commonground.views.server_error)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, DATABASE_ERRORS):
            breaker.failed(exception)  # a connection lost mid-request refuses the next ones
            logger.warning(
                "database unavailable: %s %s: %s", request.method, request.path, exception
            )
            return database_unavailable(request)
        return None
