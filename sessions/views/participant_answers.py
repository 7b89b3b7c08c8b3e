"""Shared by the participant's views: the fragments they answer with, the way back to the
participant page, and the answer to withdrawing one's own contribution."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from sessions import services
from sessions.models import LiveSession, Participant
from sessions.views.refusals import flash_refused

PARTIAL = "sessions/partials/participant.html"


def page_url(live_session: LiveSession, anchor: str = "") -> str:
    return reverse("sessions:participant", args=[live_session.code]) + anchor


def withdraw(
    request: HttpRequest, participant: Participant, withdraw, message: str, element_id: str
) -> HttpResponse:
    """Call ``withdraw()`` (a service deleting one's own contribution) and answer: for htmx,
    the message and the item (``element_id``) gone from the page at once."""
    live_session = participant.live_session
    try:
        withdraw()
    except services.SessionError as exc:
        return flash_refused(request, exc, redirect_to=page_url(live_session))
    if request.htmx:
        context = {"flash": message, "removed_id": element_id}
        return render(request, f"{PARTIAL}#withdrawn", context)
    messages.success(request, message)
    return redirect("sessions:participant", code=live_session.code)
