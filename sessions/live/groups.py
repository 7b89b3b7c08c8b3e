"""Who listens to what: the audiences of a session's live updates, their channel-layer group
names (one per audience and interface language), a screen's language, and the one message a
screen may send."""

import asyncio
import json
import logging
import weakref

import redis.asyncio
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

BOARD = "board"
PARTICIPANTS = "participants"
AUDIENCES = (BOARD, PARTICIPANTS)
CLIENT_MESSAGE_MAX_LENGTH = 2048


def group_name(live_session_id: int, audience: str, language: str) -> str:
    return f"live-session-{live_session_id}.{audience}.{language}"


logger = logging.getLogger(__name__)

# One client per event loop (the coalescer's), for the question below.
_clients: "weakref.WeakKeyDictionary[object, redis.asyncio.Redis]" = weakref.WeakKeyDictionary()


async def listened(names: list[str]) -> set[str]:
    """Those of the groups ``names`` that some screen listens to now, anywhere in the cluster:
    an update is rendered only for them (a room on one language renders half as much, and a
    session nobody watches renders nothing). A screen that joins a moment later catches up as
    every screen does, by its sequence number (sessions.live.consumers). Any doubt (an unknown
    layer, Redis not answering) counts every group as listened."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return {name for name in names if layer.groups.get(name)}
    if type(layer).__name__ != "RedisPubSubChannelLayer" or not settings.REDIS_URL:
        return set(names)
    try:
        # Each worker with screens of a group subscribes once to its Redis channel
        # (sessions.live.fanout): the number of subscribers says whether anyone listens.
        channels = [layer._get_group_channel_name(name) for name in names]
        counts = await _client().pubsub_numsub(*channels)
    except Exception:
        logger.warning("could not ask which live groups are listened to", exc_info=True)
        return set(names)
    return {name for name, (_channel, count) in zip(names, counts, strict=True) if count}


async def aclose() -> None:
    """Close this event loop's client (tests, before their loop ends)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


def _client() -> redis.asyncio.Redis:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = redis.asyncio.Redis.from_url(
            settings.REDIS_URL, **settings.REDIS_TIMEOUTS
        )
    return client


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
