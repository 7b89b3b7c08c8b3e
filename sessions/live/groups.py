"""Who listens to what: the audiences of a session's live updates, their channel-layer group
names (one per audience and interface language), a screen's language, and the one message a
screen may send."""

import json

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

BOARD = "board"
PARTICIPANTS = "participants"
AUDIENCES = (BOARD, PARTICIPANTS)
CLIENT_MESSAGE_MAX_LENGTH = 2048


def group_name(live_session_id: int, audience: str, language: str) -> str:
    return f"live-session-{live_session_id}.{audience}.{language}"


def languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def screen_language(scope: dict) -> str:
    """The interface language of a WebSocket's screen, chosen as LocaleMiddleware chooses it for
    its pages: the language cookie, then the browser's Accept-Language, then the default."""
    candidates = [scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME) or ""]
    headers = dict(scope.get("headers", []))
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    candidates += [code for code, _ in parse_accept_lang_header(accept) if code != "*"]
    for code in candidates:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def parse_client_message(text: str | None) -> dict:
    """Validate a message from a screen: ``{"type": "resume", "since": <int>}``, with
    ``"whole": true`` from a screen back from a drop that wants the whole state whatever its
    sequence number says (a push lost on the way is not noticed otherwise: the next one moves
    the number on).

    Raises ValueError for anything else (binary, too long, not JSON, another type)."""
    if text is None:
        raise ValueError("binary messages are not accepted")
    if len(text) > CLIENT_MESSAGE_MAX_LENGTH:
        raise ValueError("message too long")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: "[[[[...]]]]"
        raise ValueError("not JSON") from None
    if not isinstance(data, dict) or data.get("type") != "resume":
        raise ValueError("unknown message type")
    since = data.get("since")
    if not isinstance(since, int) or isinstance(since, bool) or since < 0:
        raise ValueError("since must be a non-negative integer")
    whole = data.get("whole", False)
    if not isinstance(whole, bool):
        raise ValueError("whole must be true or false")
    return {"type": "resume", "since": since, "whole": whole}
