"""Fixed-window rate limits kept in Django's cache (Redis in production).

Keys name a participant, a browser session, a live session or a username: never an IP address.
They are stored as a keyed hash (HMAC with SECRET_KEY), so whoever reads the cache learns no
Django session key and no username.

If the cache is unreachable (Redis down or hung), limits fail open: the action is allowed and a
warning logged. Losing the limit for a minute is better than refusing a room full of people.
After a failure the cache is left alone for CACHE_RETRY_SECONDS, so a hung Redis costs one
socket timeout (REDIS_SOCKET_TIMEOUT) per worker every few seconds, not one per request."""

import asyncio
import contextlib
import logging
import time
import weakref

import redis.asyncio
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

CACHE_RETRY_SECONDS = 5.0
_cache_skipped_until = 0.0  # per process: monotonic time until which the cache is not asked


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def hit(scope: str, key: str, *, limit: int, window: int) -> None:
    """Count one action; raise RateLimited once ``limit`` is passed within ``window`` seconds.

    Does nothing when settings.RATE_LIMITS_ENABLED is false (load tests only)."""
    if not settings.RATE_LIMITS_ENABLED:
        return
    count, retry_after = record(scope, key, window=window)
    if count > limit:
        raise RateLimited(retry_after=retry_after)


async def ahit(scope: str, key: str, *, limit: int, window: int) -> str | None:
    """``hit`` for the event loop (sessions.services.quick_votes): the same counter, asked
    with redis-py's asyncio client instead of a thread. With an in-process cache (no Redis),
    ``hit`` itself, which does no I/O. Returns the counter's key when it counted (for
    ``agive_back``; a RateLimited raised has counted too), None when it did not."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    cache_key, retry_after = _window_key(scope, key, window)
    client = _async_client()
    if client is None:
        count = _ask_cache(scope, lambda: _count(cache_key, window))
    else:
        if _cache_skipped():
            return None
        try:
            count = await _acount(client, cache.make_key(cache_key), window)
        except Exception:
            _cache_failed(scope)
            return None
    if not count:  # the cache failed: fail open, nothing counted
        return None
    if count > limit:
        raise RateLimited(retry_after=retry_after)
    return cache_key


# Takes one off a counter that still exists: an expired one is not brought back as -1.
_GIVE_BACK = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end"


async def agive_back(cache_key: str) -> None:
    """Take back one count of ``ahit`` (its key): the action was handed to a path that counts
    it again (the quick vote stepping aside for the ordinary view). Best effort: a cache
    that fails here leaves the count, as it was before."""
    client = _async_client()
    if client is None:
        _ask_cache("give-back", lambda: _decrement(cache_key))
        return
    try:
        await client.eval(_GIVE_BACK, 1, cache.make_key(cache_key))
    except Exception:
        _cache_failed("give-back")


def _decrement(cache_key: str) -> None:
    with contextlib.suppress(ValueError):  # expired meanwhile
        cache.decr(cache_key)


# One asyncio client per event loop, with the cache's own address and timeouts.
_async_clients: "weakref.WeakKeyDictionary[object, redis.asyncio.Redis]" = (
    weakref.WeakKeyDictionary()
)


def _async_client() -> "redis.asyncio.Redis | None":
    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith("RedisCache"):
        return None
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = redis.asyncio.Redis.from_url(config["LOCATION"], **config.get("OPTIONS", {}))
        _async_clients[loop] = client
    return client


async def aclose() -> None:
    """Close this event loop's client (tests, before their loop ends)."""
    client = _async_clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


async def _acount(client: "redis.asyncio.Redis", cache_key: str, window: int) -> int:
    # As _count: the first hit of a window creates the counter (Django's cache stores an int
    # as its digits, so the two paths count on the same key).
    if await client.set(cache_key, 1, nx=True, ex=window + 1):
        return 1
    count = await client.incr(cache_key)
    if count == 1:  # expired between the two
        await client.expire(cache_key, window + 1)
    return count


def record(scope: str, key: str, *, window: int) -> tuple[int, int]:
    """Count one event (a failed sign-in, a post) under ``key`` in the current window.

    Returns the count so far in this window (0 if the cache is unavailable: fail open) and the
    seconds until the window ends."""
    cache_key, retry_after = _window_key(scope, key, window)
    count = _ask_cache(scope, lambda: _count(cache_key, window))
    return count or 0, retry_after


def forget(scope: str, key: str, *, window: int) -> None:
    """Drop the count of the current window (a successful sign-in clears its failures)."""
    cache_key, _retry_after = _window_key(scope, key, window)
    _ask_cache(scope, lambda: cache.delete(cache_key))


def forget_all(scopes: list[str], key: str, *, window: int) -> None:
    """Drop every count kept under ``key`` in ``scopes``: this window's and the last one's
    (a counter outlives its window by a second). Erasing a participant drops theirs, so no
    key derived from their id or their browser outlives them."""
    now = int(time.time())
    start = now // window * window
    names = [
        f"rl:{scope}:{cache_key_name(key)}:{at}"
        for scope in scopes
        for at in (start, start - window)
    ]
    _ask_cache("erase", lambda: cache.delete_many(names))


def cache_key_name(key: str) -> str:
    """What a key is stored as: a keyed hash, never the key itself."""
    return salted_hmac("commonground.ratelimit", key).hexdigest()[:32]


def reset_cache_state() -> None:
    """Forget that the cache failed (tests, and a changed CACHES setting)."""
    global _cache_skipped_until
    _cache_skipped_until = 0.0


def _window_key(scope: str, key: str, window: int) -> tuple[str, int]:
    now = int(time.time())
    window_start = now // window * window
    return f"rl:{scope}:{cache_key_name(key)}:{window_start}", window_start + window - now


def _ask_cache(scope: str, operation):
    if _cache_skipped():
        return None
    try:
        return operation()
    except Exception:
        _cache_failed(scope)
        return None


def _cache_skipped() -> bool:
    """Whether the cache failed a moment ago and is left alone for now (fail open)."""
    return time.monotonic() < _cache_skipped_until


def _cache_failed(scope: str) -> None:
    """Leave the cache alone for CACHE_RETRY_SECONDS, and say so once."""
    global _cache_skipped_until
    _cache_skipped_until = time.monotonic() + CACHE_RETRY_SECONDS
    logger.warning(
        "rate limit %s not checked: the cache is unavailable (not asked again for %d s)",
        scope,
        CACHE_RETRY_SECONDS,
        exc_info=True,
    )


def _count(cache_key: str, window: int) -> int:
    # add() is atomic: only the first hit in a window creates the counter.
    if cache.add(cache_key, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window + 1)
        return 1
