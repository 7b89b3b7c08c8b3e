"""Pushes a session's changes at most once per window, merging what arrives in between.

The first change after a quiet window goes out at once; changes arriving while a window is open
are merged and go out together when it ends. The window is LIVE_COALESCE_SECONDS, stretched
when pushes are costly: rendering one (its queries and templates, for every audience and
language) costs from a few to tens of milliseconds of CPU, and delivering it to thousands of
screens a worker as much again or more (sessions.live.fanout measures it). Under a storm of
votes a fixed short window would spend the workers' CPU on pushes nobody can read that fast,
and slow the votes and every screen down. So the window stretches until a session's renders and
deliveries take at most RENDER_TIME_SHARE of the time, up to LIVE_COALESCE_MAX_SECONDS; while
pushing every change as it comes stays under that share, the window stays short. A single vote is not delayed, and a burst costs one
render and one message per audience per window. Pushes of one session are sent in order, one
at a time, so a screen never receives an older render after a newer one."""

import asyncio
import collections
import logging
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connection

from sessions.live import cluster, fanout, groups, timeline
from sessions.live.change import Change
from sessions.live.outages import OUTAGES
from sessions.live.render import render_messages

logger = logging.getLogger(__name__)

RENDER_TIME_SHARE = 0.25
# The window stays short until pushing every change as it comes would take this share of the
# worker: above RENDER_TIME_SHARE, so that one slow render (a cold cache, a pause) does not
# stretch the window of a session that keeps up (at 1,000 screens that tripled p95).
KEEPING_UP_SHARE = 0.75
ARRIVALS_SECONDS = 2.0  # how far back the rate of a session's changes is counted
FORGET_AFTER_SECONDS = 60  # a session quiet this long starts again from the short window
# A push that could not be sent (Redis down or hung) is tried again, as everything, without
# waiting for the next change: every RETRY_SECONDS, at most RETRIES times in a row.
RETRY_SECONDS = 1.0
RETRIES = 60
# Once a push goes through again, the catch-up is sent once more after SETTLE_SECONDS: a
# worker's subscriptions come back up to a second after Redis does (channels-redis's receiver
# retries once a second), and a push published before that is lost to its screens.
SETTLE_SECONDS = 2.0

# Renders and sends one session's change; returns the CPU seconds its render took.
Push = Callable[[int, Change], Awaitable[float]]


def push_now(live_session_id: int, change: Change) -> None:
    """Render and send at once, from the calling thread."""
    layer = get_channel_layer()
    for group, message in render_messages(live_session_id, change):
        async_to_sync(layer.group_send)(group, message)


def _render_in_worker(
    live_session_id: int, change: Change, listened: set[str]
) -> tuple[list[tuple[str, dict]], float]:
    """The messages, and the CPU time their render took in this thread: what a push costs the
    worker, not inflated by how busy its event loop is delivering to screens."""
    started = time.thread_time()
    try:
        return render_messages(live_session_id, change, listened), time.thread_time() - started
    finally:
        connection.close()


async def render_and_send(live_session_id: int, change: Change) -> float:
    # Only for the groups some screen listens to (sessions.live.groups.listened).
    names = [
        groups.group_name(live_session_id, audience, language)
        for language in groups.languages()
        for audience in groups.AUDIENCES
    ]
    started = time.monotonic()
    listened = await groups.listened(names)
    if not listened:
        return 0.0
    messages, render_seconds = await sync_to_async(_render_in_worker, thread_sensitive=False)(
        live_session_id, change, listened
    )
    rendered = time.monotonic()
    layer = get_channel_layer()
    for group, message in messages:
        await layer.group_send(group, message)
    if messages and timeline.enabled():
        timeline.pushed(messages[0][1]["seq"], started, rendered, time.monotonic())
    return render_seconds


class Coalescer:
    """One per worker process. Its pushes run on one event loop in a daemon thread, so the
    channel layer keeps one connection pool for them.

    ``push`` replaces the render-and-send (tests give a recording one); with the default, a
    process on the in-memory channel layer (development, tests) pushes at once from the caller:
    that layer's queues belong to the server's event loop and are not thread-safe, and one
    process has no fan-out cost to save."""

    def __init__(
        self, push: Push | None = None, shared: cluster.SharedWindow | None = None
    ) -> None:
        self._push = push or render_and_send
        self._in_process_default = push is None
        # With Redis, the workers share each session's window (sessions.live.cluster): one
        # render per window in the whole cluster, not one per worker.
        self._shared = shared
        self._holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._looking_again: set[asyncio.Task] = set()  # held, so that none is collected
        self._lock = threading.Lock()
        self._pending: dict[int, Change] = {}
        self._last_push: dict[int, float] = {}
        self._send_locks: dict[int, asyncio.Lock] = {}
        self._render_seconds: dict[int, float] = {}  # smoothed, per session
        self._arrivals: dict[int, collections.deque[float]] = {}  # recent changes, per session
        self._unreported: dict[int, int] = {}  # changes not yet counted in the cluster's rate
        self._cluster_rates: dict[int, float] = {}  # the cluster's changes per second
        # Sessions whose last push could not be sent: their next push is everything.
        self._missed: set[int] = set()
        self._failures: dict[int, int] = {}  # pushes failed in a row, by session
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- public seams -----------------------------------------------------------------------

    def window(self, live_session_id: int) -> float:
        """The session's coalescing window: LIVE_COALESCE_SECONDS while its pushes keep up;
        when pushing every change (render plus delivery to this worker's screens, at the rate
        changes arrive) would take more than KEEPING_UP_SHARE of the worker's time, long enough
        for pushes to take RENDER_TIME_SHARE of it."""
        base = settings.LIVE_COALESCE_SECONDS
        limit = max(base, settings.LIVE_COALESCE_MAX_SECONDS)
        cost = self._render_seconds.get(live_session_id, 0.0) + fanout.delivery_seconds(
            live_session_id
        )
        if cost * self._changes_per_second(live_session_id) <= KEEPING_UP_SHARE:
            return base  # keeping up: a longer window would only delay the screens
        return min(limit, max(base, cost / RENDER_TIME_SHARE))

    def record_arrival(self, live_session_id: int, at: float) -> None:
        """Count a change arriving at ``at`` (time.monotonic()): how many arrived over the last
        ARRIVALS_SECONDS, over the time they have been coming, says how often the session would
        push without coalescing (a count over at least cluster.SHORTEST_RATE_SPAN, so that two
        changes that happen to come close together do not stretch it)."""
        with self._lock:
            self._unreported[live_session_id] = self._unreported.get(live_session_id, 0) + 1
            arrivals = self._arrivals.setdefault(live_session_id, collections.deque())
            arrivals.append(at)
            while arrivals and arrivals[0] < at - ARRIVALS_SECONDS:
                arrivals.popleft()

    def _changes_per_second(self, live_session_id: int) -> float:
        """This worker's rate, or the cluster's (sessions.live.cluster) when higher: every
        worker delivers every push, wherever its change arrived. Counted over the time the
        changes have been coming (cluster.SHORTEST_RATE_SPAN to ARRIVALS_SECONDS)."""
        # No lock: window() is called with it held; a deque's len() and [0] are atomic.
        arrivals = self._arrivals.get(live_session_id)
        local = 0.0
        if arrivals:
            span = min(ARRIVALS_SECONDS, time.monotonic() - arrivals[0])
            local = len(arrivals) / max(cluster.SHORTEST_RATE_SPAN, span)
        return max(local, self._cluster_rates.get(live_session_id, 0.0))

    def record_render(self, live_session_id: int, seconds: float) -> None:
        """Count what one render of the session cost. Smoothed (fanout.smoothed), so one costly
        render (a cold cache) does not hold the session back, and lastingly costly ones (grid
        and split on every vote) do stretch the window."""
        with self._lock:
            previous = self._render_seconds.get(live_session_id, seconds)
            self._render_seconds[live_session_id] = fanout.smoothed(previous, seconds)

    def forget_render_costs(self) -> None:
        """Start every session from the short window again."""
        with self._lock:
            self._render_seconds.clear()

    def pushes_from_caller(self) -> bool:
        """Whether ``add`` renders and sends in the calling thread (then not from an event
        loop: the render reads the database through the ORM)."""
        return settings.LIVE_COALESCE_SECONDS <= 0 or (
            self._in_process_default and isinstance(get_channel_layer(), InMemoryChannelLayer)
        )

    def add(self, live_session_id: int, change: Change) -> None:
        """Push ``change`` now, or merge it into the session's next push."""
        if self.pushes_from_caller():
            push_now(live_session_id, change)
            return
        self.record_arrival(live_session_id, time.monotonic())
        with self._lock:
            if live_session_id in self._missed:
                # Screens that stayed connected through the failure missed a push.
                self._missed.discard(live_session_id)
                change.merge(Change.everything())
            if live_session_id in self._pending:
                self._pending[live_session_id].merge(change)
                return
            self._pending[live_session_id] = change
            last = self._last_push.get(live_session_id)
            window = self.window(live_session_id)
            wait = 0.0 if last is None else max(0.0, last + window - time.monotonic())
        asyncio.run_coroutine_threadsafe(
            self._push_after(live_session_id, wait), self._ensure_loop()
        )

    def stop(self) -> None:
        """Stop the pushes' thread (pending pushes are dropped; screens catch up on resume)."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        deadline = time.monotonic() + 5
        while loop.is_running() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not loop.is_running():
            loop.close()

    # --- the pushes' loop -------------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=self._loop.run_forever, name="live-updates", daemon=True
                )
                thread.start()
            return self._loop

    def _take(self, live_session_id: int) -> Change | None:
        with self._lock:
            change = self._pending.pop(live_session_id, None)
            now = time.monotonic()
            self._last_push[live_session_id] = now
            if len(self._last_push) > 1000:  # forget sessions that went quiet
                for key, at in list(self._last_push.items()):
                    if now - at > FORGET_AFTER_SECONDS and key not in self._pending:
                        del self._last_push[key]
                        self._send_locks.pop(key, None)
                        self._render_seconds.pop(key, None)
                        self._arrivals.pop(key, None)
                        self._cluster_rates.pop(key, None)
                        self._unreported.pop(key, None)
            return change

    def _shared_window(self) -> cluster.SharedWindow | None:
        if self._shared is None and self._in_process_default:
            self._shared = cluster.shared_window()
        return self._shared

    async def _push_after(self, live_session_id: int, wait: float, looking_again=False) -> None:
        """Push the session's pending change after ``wait``. ``looking_again``: another worker
        held the cluster's window when this one had a change to push; render what is still
        pending in the cluster, if anything."""
        if wait:
            await asyncio.sleep(wait)
        # Runs on the coalescer's own loop only, so the dict needs no thread lock.
        send_lock = self._send_locks.setdefault(live_session_id, asyncio.Lock())
        async with send_lock:
            change = self._take(live_session_id)
            if change is None and not looking_again:
                return
            try:
                shared = self._shared_window()
                if shared is not None:
                    with self._lock:
                        arrivals = self._unreported.pop(live_session_id, 0)
                    change, retry, rate = await sync_to_async(shared.claim, thread_sensitive=False)(
                        live_session_id,
                        change,
                        self.window(live_session_id),
                        self._holder,
                        arrivals,
                    )
                    self._cluster_rates[live_session_id] = rate
                    if change is None:  # another worker renders this window
                        if retry:
                            task = asyncio.ensure_future(
                                self._push_after(live_session_id, retry, looking_again=True)
                            )
                            self._looking_again.add(task)
                            task.add_done_callback(self._looking_again.discard)
                        return
                self.record_render(live_session_id, await self._push(live_session_id, change))
            except Exception as error:
                # The write itself is saved. Screens that reconnect catch up on resume; the
                # session's next push is everything, for those that stayed connected, and it
                # is tried again soon even if nothing else changes.
                with self._lock:
                    self._missed.add(live_session_id)
                    failures = self._failures[live_session_id] = (
                        self._failures.get(live_session_id, 0) + 1
                    )
                if isinstance(error, OUTAGES):
                    # A service down: one line per try, not a traceback every second.
                    logger.warning(
                        "live update for session %s was not pushed (try %d): %s",
                        live_session_id,
                        failures,
                        error,
                    )
                else:
                    logger.exception("live update for session %s was not pushed", live_session_id)
                if failures <= RETRIES:
                    self._add_later(RETRY_SECONDS, live_session_id, Change())
                return
            with self._lock:
                recovered = self._failures.pop(live_session_id, None) is not None
            if recovered:
                self._add_later(SETTLE_SECONDS, live_session_id, Change.everything())

    def _add_later(self, seconds: float, live_session_id: int, change: Change) -> None:
        asyncio.get_running_loop().call_later(seconds, self.add, live_session_id, change)


coalescer = Coalescer()
