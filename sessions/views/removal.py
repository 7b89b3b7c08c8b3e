"""What a removed participant's device sees: a calm page saying so, never the join form again
(the device keeps its cookie; the services refuse it anything)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from sessions.identity import hash_token, participant_cookie_name
from sessions.models import LiveSession, Participant


def removed_from(request: HttpRequest, live_session: LiveSession) -> bool:
    """Does this browser's device cookie name a participant a facilitator removed?"""
    token = request.COOKIES.get(participant_cookie_name(live_session), "")
    return bool(token) and (
        Participant.objects.filter(
            live_session=live_session, token_hash=hash_token(token), removed_at__isnull=False
        ).exists()
    )


def removed_page(request: HttpRequest, live_session: LiveSession) -> HttpResponse:
    """403 with the calm page; an htmx request (a tap on a page from before the removal)
    gets the reason and reloads onto that page."""
    if request.htmx:
        response = HttpResponse(_("A facilitator has removed you from this session."), status=403)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request, "sessions/participant/removed.html", {"live_session": live_session}, status=403
    )
