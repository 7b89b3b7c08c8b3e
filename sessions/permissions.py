"""Who may see and do what in a live session: lookups that answer 404 or 403 (PermissionDenied)
rather than let a stranger learn what exists."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from sessions.models import JOIN_CODE_LENGTH, LiveSession, Participant


def plausible_code(code: str) -> bool:
    """Could ``code`` be a join code? Anything else is not looked up: PostgreSQL refuses
    strings with a null byte outright (a 500 rather than a 404)."""
    return code.isascii() and code.isalnum() and len(code) <= JOIN_CODE_LENGTH


def live_session_or_404(code: str) -> LiveSession:
    if not plausible_code(code):
        raise Http404
    return get_object_or_404(LiveSession.objects.select_related("taxonomy"), code=code.upper())


def owned_or_404(queryset, participant: Participant, pk: int):
    """An object of the participant's session that they wrote; 404 rather than telling a
    stranger that it exists."""
    obj = get_object_or_404(queryset, pk=pk, live_session=participant.live_session)
    if obj.author_id != participant.pk:
        raise Http404
    return obj


def can_facilitate(user, live_session: LiveSession) -> bool:
    """Superusers (who can see everything in the admin anyway) and the session's facilitators."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or live_session.facilitators.filter(pk=user.pk).exists()


def facilitated_session_or_403(request: HttpRequest, code: str) -> LiveSession:
    """The session at ``code`` if the logged-in user facilitates it; PermissionDenied otherwise.

    Use behind ``login_required`` so anonymous visitors are sent to log in first."""
    live_session = live_session_or_404(code)
    if not can_facilitate(request.user, live_session):
        raise PermissionDenied
    return live_session
