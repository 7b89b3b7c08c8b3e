"""Fixed-window rate limits kept in Django's cache (Redis in production).

Keys name a participant, a browser session or a live session: never an IP address."""

import time

from django.conf import settings
from django.core.cache import cache


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
    # add() is atomic: only the first hit in a window creates the counter.
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        raise RateLimited(retry_after=window_start + window - int(time.time()))
