"""Project-wide middleware: a clear "try again" answer when the database is unreachable, and
django-csp's header built once per worker where it is always the same."""

import logging

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
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


# Set on a response by django-csp's decorators (@csp, @csp_update, ...): a policy of its own.
_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, with the header it would give a response with no policy of its
    own and no nonce built once per settings (the htmx answers: a plenary's votes, posts,
    mappings). django-csp builds it anew for every response, copying its parts to a dict and
    joining every directive, twice (the policy and the report-only one): a fifth of a quick
    vote's Python (docs/performance.md). Anything else (a page with a nonce, a decorated view,
    an excluded prefix, DEBUG's error pages) is django-csp's own way."""

    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        self._built: tuple | None = None  # (the two settings it was built from, the headers)

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _OWN_POLICY)
            or settings.DEBUG
        ):
            return super().process_response(request, response)
        policy, report_only = self._plain_policies()
        if policy is None:  # excluded prefixes: django-csp decides by path
            return super().process_response(request, response)
        if policy and HEADER not in response:
            response[HEADER] = policy
        if report_only and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp: a nonce asked for after the header is written is an error, not a
        # nonce missing from it.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def _plain_policies(self) -> tuple[str | None, str]:
        configs = (
            getattr(settings, "CONTENT_SECURITY_POLICY", None),
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None),
        )
        built = self._built
        if built is None or built[0][0] is not configs[0] or built[0][1] is not configs[1]:
            if any((config or {}).get("EXCLUDE_URL_PREFIXES") for config in configs):
                headers = (None, "")
            else:
                headers = (build_policy(), build_policy(report_only=True))
            self._built = built = (configs, headers)
        return built[1]
