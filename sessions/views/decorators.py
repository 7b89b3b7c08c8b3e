"""The opening every participant and facilitator view shares, in one place (healthchecks'
decorators): find the session and who is asking, or answer the right refusal."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from sessions import services
from sessions.identity import removed_here, session_and_participant
from sessions.permissions import facilitated_session_or_403
from sessions.views.removal import removed_page


def participant_view(view):
    """A page or action at ``/s/<code>/...`` for someone who joined on this device.

    The view is called as ``view(request, participant, ...)``, the participant read with its
    session (``participant.live_session``) in one query. A browser that has not joined is sent
    to join, one whose participant was removed gets the calm page saying so; an unknown code
    is a 404. Records the participant as active. Nothing answered is kept in a cache (a
    shared phone must not show the last person's page)."""

    @never_cache
    @wraps(view)
    def wrapped(request, code: str, *args, **kwargs):
        live_session, participant = session_and_participant(request, code)
        if participant is None:
            if removed_here(request, live_session):
                return removed_page(request, live_session)
            return redirect("sessions:join", code=live_session.code)
        services.touch(participant)
        return view(request, participant, *args, **kwargs)

    return wrapped


def facilitator_view(view):
    """A page or action at ``/facilitate/<code>/...`` for the session's facilitators.

    The view is called as ``view(request, live_session, ...)``. Anonymous visitors are sent to
    log in; anyone else who does not facilitate the session gets 403. Nothing answered is kept
    in a cache."""

    @never_cache
    @login_required
    @wraps(view)
    def wrapped(request, code: str, *args, **kwargs):
        return view(request, facilitated_session_or_403(request, code), *args, **kwargs)

    return wrapped
