"""Who may see and do what in a live session."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from sessions import services
from sessions.models import JOIN_CODE_LENGTH, LiveSession, Participant

COOKIE_MAX_AGE = 60 * 60 * 24 * 14  # a workshop and its follow-up, not forever


def participant_cookie_name(live_session: LiveSession) -> str:
    return _cookie_name_for_code(live_session.code)


def _cookie_name_for_code(code: str) -> str:
    return f"cg_p_{code}"


def plausible_code(code: str) -> bool:
    """Could ``code`` be a join code? Anything else is not looked up: PostgreSQL refuses
    strings with a null byte outright (a 500 rather than a 404)."""
    return code.isascii() and code.isalnum() and len(code) <= JOIN_CODE_LENGTH


def live_session_or_404(code: str) -> LiveSession:
    if not plausible_code(code):
        raise Http404
    return get_object_or_404(LiveSession.objects.select_related("taxonomy"), code=code.upper())


def session_and_participant(
    request: HttpRequest, code: str
) -> tuple[LiveSession, Participant | None]:
    """The session at ``code`` and the participant this browser is in it, if any. A known
    participant costs one query (the session comes with it): every participant write starts
    here, so the common case is kept cheap."""
    if not plausible_code(code):
        raise Http404
    token = request.COOKIES.get(_cookie_name_for_code(code.upper()), "")
    if token:
        participant = services.participant_by_code(code.upper(), token)
        if participant is not None:
            return participant.live_session, participant
    return live_session_or_404(code), None


def current_participant(request: HttpRequest, live_session: LiveSession) -> Participant | None:
    token = request.COOKIES.get(participant_cookie_name(live_session), "")
    return services.participant_for_token(live_session, token)


def set_participant_cookie(response, live_session: LiveSession, token: str) -> None:
    response.set_cookie(
        participant_cookie_name(live_session),
        token,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def owned_or_404(queryset, participant: Participant, pk: int):
    """An object of the participant's session that they wrote; 404 rather than telling a
    stranger that it exists."""
    obj = get_object_or_404(queryset, pk=pk, live_session=participant.live_session)
    if obj.author_id != participant.pk:
        raise Http404
    return obj


def facilitated_session_or_403(request: HttpRequest, code: str) -> LiveSession:
    """The session at ``code`` if the logged-in user facilitates it (or is a superuser, who
    can see everything in the admin anyway); PermissionDenied otherwise.

    Use behind ``login_required`` so anonymous visitors are sent to log in first."""
    live_session = live_session_or_404(code)
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    if not (user.is_superuser or live_session.facilitators.filter(pk=user.pk).exists()):
        raise PermissionDenied
    return live_session
