"""Who this browser is in a live session: the device cookie that a join sets, and the lookups
from that cookie to a participant.

The cookie holds a random secret; the database keeps only its SHA-256, so a leaked database
cannot be used to act as anyone. Nothing here writes to the database."""

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from sessions.models import LiveSession, Participant, RemovedBrowser
from sessions.permissions import live_session_or_404, plausible_code

COOKIE_MAX_AGE = 60 * 60 * 24 * 14  # a workshop and its follow-up, not forever
# The browser's device id: random, signed so that it cannot be forged, kept for a year so that
# dropping a session's cookie does not make a new device (join limits, a removal that holds).
DEVICE_COOKIE = "cg_device"
DEVICE_COOKIE_MAX_AGE = 60 * 60 * 24 * 365
_DEVICE_SALT = "commonground.device"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_device_secret() -> tuple[str, str]:
    """A fresh secret for a device cookie and the hash that is stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def device_id(request: HttpRequest) -> str:
    """The id in this browser's device cookie if it is one we signed, else a new one (set it on
    the response with ``set_device_cookie``)."""
    try:
        return signing.loads(request.COOKIES.get(DEVICE_COOKIE, ""), salt=_DEVICE_SALT)
    except signing.BadSignature:
        return secrets.token_urlsafe(16)


def device_hash(device: str, live_session: LiveSession) -> str:
    """What a session keeps of a device: bound to the session, so no id links two sessions."""
    return hashlib.sha256(f"{live_session.code}:{device}".encode()).hexdigest()


def removed_digest(device_hash_: str) -> str:
    """What a session keeps of a removed browser once its participant erased themselves: a
    keyed hash of its device hash, so the row holds neither that hash nor anything that
    finds the erased participant's other traces (there are none left) or another session's."""
    return salted_hmac("commonground.removed-browser", device_hash_).hexdigest()


def set_device_cookie(response: HttpResponse, device: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(device, salt=_DEVICE_SALT),
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def cookie_name_for_code(code: str) -> str:
    return f"cg_p_{code}"


def participant_cookie_name(live_session: LiveSession) -> str:
    return cookie_name_for_code(live_session.code)


def set_participant_cookie(response: HttpResponse, live_session: LiveSession, token: str) -> None:
    response.set_cookie(
        participant_cookie_name(live_session),
        token,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def forget_participant_cookie(response: HttpResponse, live_session: LiveSession) -> None:
    response.delete_cookie(participant_cookie_name(live_session), samesite="Lax")


def _participant_holding(token: str, *, removed_too: bool = False, **session) -> Participant | None:
    """The participant (not removed, unless ``removed_too``) whose device cookie is ``token``,
    in the session that ``session`` selects, read with that session and its taxonomy (one
    query)."""
    if not token:
        return None
    people = Participant.objects.filter(token_hash=hash_token(token), **session)
    if not removed_too:
        people = people.filter(removed_at__isnull=True)
    return people.select_related("live_session__taxonomy").first()


def participant_for_token(live_session: LiveSession, token: str) -> Participant | None:
    return _participant_holding(token, live_session=live_session)


def participant_by_code(code: str, token: str) -> Participant | None:
    """The participant holding ``token`` in the session at join code ``code``, with the
    session and its taxonomy (one query)."""
    return _participant_holding(token, live_session__code=code)


def current_participant(
    request: HttpRequest, live_session: LiveSession, *, removed_too: bool = False
) -> Participant | None:
    """This browser's participant in ``live_session``; ``removed_too``: also one a facilitator
    removed (who may still erase themselves)."""
    token = request.COOKIES.get(participant_cookie_name(live_session), "")
    return _participant_holding(token, removed_too=removed_too, live_session=live_session)


def participant_for_scope(live_session: LiveSession, scope: dict) -> Participant | None:
    """The participant a WebSocket's cookies name in ``live_session``, if any."""
    token = scope.get("cookies", {}).get(participant_cookie_name(live_session), "")
    return participant_for_token(live_session, token)


def session_and_participant(
    request: HttpRequest, code: str
) -> tuple[LiveSession, Participant | None]:
    """The session at ``code`` and the participant this browser is in it, if any (Http404 for
    no such session). A known participant costs one query (the session comes with it): every
    participant write starts here, so the common case is kept cheap."""
    if plausible_code(code):
        token = request.COOKIES.get(cookie_name_for_code(code.upper()), "")
        if token:
            participant = participant_by_code(code.upper(), token)
            if participant is not None:
                return participant.live_session, participant
    return live_session_or_404(code), None


def removed_here(request: HttpRequest, live_session: LiveSession) -> bool:
    """Was this browser's participant in ``live_session`` removed by a facilitator? Known by
    the participant's cookie, or by the device cookie when that one was dropped (or when the
    participant erased themselves since: sessions.models.RemovedBrowser)."""
    token = request.COOKIES.get(participant_cookie_name(live_session), "")
    removed = Participant.objects.filter(live_session=live_session, removed_at__isnull=False)
    if token and removed.filter(token_hash=hash_token(token)).exists():
        return True
    try:
        device = signing.loads(request.COOKIES.get(DEVICE_COOKIE, ""), salt=_DEVICE_SALT)
    except signing.BadSignature:
        return False
    browser = device_hash(device, live_session)
    return (
        removed.filter(device_hash=browser).exists()
        or RemovedBrowser.objects.filter(
            live_session=live_session, digest=removed_digest(browser)
        ).exists()
    )
