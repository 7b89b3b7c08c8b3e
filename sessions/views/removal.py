"""What a removed participant's device sees: a calm page saying so, never the join form again
(the device keeps its cookie; the services refuse it anything)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRefresh

from sessions.models import LiveSession


def removed_page(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    """403 with the calm page; an htmx request (a tap on a page from before the removal)
    reloads onto that page."""
    if request.htmx:
        response = HttpResponseClientRefresh()
        response.status_code = 403
        return response
    return render(
        request, "sessions/participant/removed.html", {"live_session": live_session}, status=403
    )
