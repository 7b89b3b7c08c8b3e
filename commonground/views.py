import sys

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.http import require_safe

from commonground import accessibility as statement
from commonground.database_breaker import breaker
from commonground.middleware import DATABASE_ERRORS, database_unavailable
from taxonomy import queries as taxonomy_queries


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What the workshop is, with the way into the taxonomy and into a live session."""
    return render(request, "home.html", {"categories": taxonomy_queries.category_overview()})


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (commonground/accessibility.py, also docs/accessibility.md)."""
    return render(
        request,
        "accessibility.html",
        {
            "criteria": statement.CRITERIA,
            "summary": statement.counts(),
            "reviewed": statement.REVIEWED,
        },
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage outside a view (session or auth middleware) is a 503
    "try again", like one inside a view; anything else is the plain 500."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        breaker.failed(error)
        return database_unavailable(request)
    return defaults.server_error(request)
