"""Fixed-window rate limits kept in Django's cache (Redis in production).

Keys name a participant, a browser session or a live session: never an IP address.

If the cache is unreachable (Redis down), limits fail open: the action is allowed and a warning
logged. Losing the limit for a minute is better than refusing a room full of people."""

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def hit(scope: str, key: str, *, limit: int, window: int) -> None:
    """Count one action; raise RateLimited once ``limit`` is passed within ``window`` seconds.

    Does nothing when settings.RATE_LIMITS_ENABLED is false (load tests only)."""
    if not getattr(settings, "RATE_LIMITS_ENABLED", True):
        return
    window_start = int(time.time()) // window * window
    cache_key = f"rl:{scope}:{key}:{window_start}"
    try:
        count = _count(cache_key, window)
    except Exception:
        logger.warning("rate limit %s not checked: the cache is unavailable", scope, exc_info=True)
        return
    if count > limit:
        raise RateLimited(retry_after=window_start + window - int(time.time()))


def _count(cache_key: str, window: int) -> int:
    # add() is atomic: only the first hit in a window creates the counter.
    if cache.add(cache_key, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window + 1)
        return 1
