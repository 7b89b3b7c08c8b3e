"""One render per session per window across the workers, shared through Redis.

Each worker renders the pushes of the writes it commits (sessions.live.coalescer). With two
workers taking one session's votes, both rendered the same board and phones within the same
window, each spending up to a quarter of its CPU on it (docs/performance.md). Here a worker
about to push adds its change to the session's list in Redis and renders only if it takes the
session's window (SET NX PX): then it renders everything the list holds, merged, for every
worker. A worker that finds the window taken leaves its change in the list and looks again when
the window ends, in case the renderer had already read the list; whoever then takes the window
renders what is left. A change is rendered once, by one worker, and at most one render of a
session starts per window in the whole cluster.

Every worker delivers every push to its screens, so how long the window must be depends on how
fast changes arrive in the whole cluster, not at one worker: the workers count them here too,
per second, and each claim answers with the cluster's rate."""

import json
import time
from dataclasses import fields

import redis
from django.conf import settings

from sessions.live.change import Change

# A rate of changes is counted over the time they have been coming, up to two seconds, and
# never over less than this: at the start of a storm a screen-heavy session's window stretches
# within half a second, not after the two seconds a full count takes (at 5,000 screens the
# pushes of those seconds, one per vote, left the screens up to 0.8 s behind: docs/
# performance.md), while two changes that happen to come close together count as 4 a second.
SHORTEST_RATE_SPAN = 0.5

# Left-over changes expire: a worker that died holding the window must not leave a list that
# grows for ever (the next change renders, and a screen that reconnects catches up anyway).
CHANGES_EXPIRE_SECONDS = 60

# Frees the window only if this worker still holds it (it may have expired and been taken).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def _encode(change: Change) -> str:
    # Field by field (dataclasses.asdict deep-copies every set: a tenth of a claim's CPU).
    return json.dumps(
        {
            key: sorted(value) if isinstance(value, set) else value
            for key, value in ((f.name, getattr(change, f.name)) for f in fields(Change))
        }
    )


def _decode(text: str | bytes) -> Change:
    values = json.loads(text)
    return Change(
        regions=set(values["regions"]),
        needs_changed=set(values["needs_changed"]),
        needs_removed=set(values["needs_removed"]),
        tallies=set(values["tallies"]),
        phase_changed=bool(values["phase_changed"]),
        removed_people=set(values["removed_people"]),
    )


class SharedWindow:
    """The sessions' windows and pending changes in Redis. Sync: called from the thread that
    renders, with the same short socket timeouts as every other Redis client here."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = redis.Redis.from_url(url, **settings.REDIS_TIMEOUTS)
        self._prefix = prefix
        self._release = self._redis.register_script(_RELEASE)

    def _keys(self, live_session_id: int) -> tuple[str, str]:
        return (
            f"{self._prefix}:live-window:{live_session_id}",
            f"{self._prefix}:live-changes:{live_session_id}",
        )

    def _arrival_keys(self, live_session_id: int, now: float) -> list[str]:
        second = int(now)
        return [
            f"{self._prefix}:live-arrivals:{live_session_id}:{at}" for at in (second - 1, second)
        ]

    def claim(
        self,
        live_session_id: int,
        change: Change | None,
        window: float,
        holder: str,
        arrivals: int = 0,
    ) -> tuple[Change | None, float, float]:
        """Add ``change`` (if any) to the session's pending changes, count the ``arrivals``
        (changes) it merges, and take the window if it is free. Returns (everything pending,
        merged; 0; rate) when this worker took it and must render, or (None, seconds until the
        window ends; rate) when another worker holds it; rate: the session's changes per
        second in the whole cluster, over the last second or two."""
        window_key, changes_key = self._keys(live_session_id)
        now = time.time()  # the same clock for every worker of the host; a second's bucket
        previous_key, current_key = self._arrival_keys(live_session_id, now)
        pipe = self._redis.pipeline(transaction=False)
        if change is not None:
            pipe.rpush(changes_key, _encode(change))
            pipe.expire(changes_key, CHANGES_EXPIRE_SECONDS)
        if arrivals:
            pipe.incrby(current_key, arrivals)
            pipe.expire(current_key, 5)
        pipe.set(window_key, holder, nx=True, px=max(1, round(window * 1000)))
        pipe.pttl(window_key)
        pipe.mget([previous_key, current_key])
        *_, taken, remaining_ms, counts = pipe.execute()
        previous, current = (int(count or 0) for count in counts)
        # The previous second and this one so far; this one alone when the changes began in it.
        span = 1 + now % 1 if previous else max(SHORTEST_RATE_SPAN, now % 1)
        rate = (previous + current) / span
        if not taken:
            return None, max(remaining_ms, 1) / 1000, rate
        pipe = self._redis.pipeline(transaction=True)
        pipe.lrange(changes_key, 0, -1)
        pipe.delete(changes_key)
        pending, _ = pipe.execute()
        if not pending:
            # Someone rendered everything meanwhile: free the window for the next change.
            self._release(keys=[window_key], args=[holder])
            return None, 0.0, rate
        merged = Change()
        for text in pending:
            merged.merge(_decode(text))
        return merged, 0.0, rate


_shared: SharedWindow | None = None


def shared_window() -> SharedWindow | None:
    """The cluster's shared window, or None without Redis (one process: nothing to share)."""
    global _shared
    if not settings.REDIS_URL:
        return None
    if _shared is None:
        prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "commonground")
        _shared = SharedWindow(settings.REDIS_URL, prefix)
    return _shared
