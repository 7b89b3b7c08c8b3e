"""One subscription per group per worker process, shared by every screen of that group.

Channels gives each consumer a channel of its own and adds it to its group, so a push to a
group of 1,000 screens means 1,000 deliveries through the channel layer (with the classic
Redis layer, 1,000 Redis pushes: django/channels_redis issues 62, 83, 98) and, in each
consumer, a fresh receive task and an ``asyncio.wait`` per message. Here a worker adds ONE
channel to the group, receives each update once, and hands the same string to each of its
screens: the layer carries one message per worker whatever the number of screens.

State is per event loop (a worker has one; tests run several in turn)."""

import asyncio
import contextlib
import logging
import time
import weakref
from typing import Protocol

from channels.layers import get_channel_layer

from sessions.live import timeline

logger = logging.getLogger(__name__)

# Group memberships in the Redis layers expire (channels_redis group_expiry, a day by
# default); a worker whose group stays busy for longer renews its membership.
RENEW_MEMBERSHIP_SECONDS = 3600

# What handing one update to a group's screens costs this worker's event loop (seconds,
# smoothed), by session and group: with thousands of screens it is more than the render, and
# the coalescer stretches the session's window with it (sessions.live.coalescer). Wall time, not
# CPU time: the loop does nothing else meanwhile, so a worker that gets only part of a core
# (other processes on the machine) is busy for longer than its CPU time says. Measured in CPU
# time, deliveries made cheap (sessions.live.wire) kept the window short at 5,000 screens on a
# loaded machine, pushed twice as often, and the slowest screens waited (docs/performance.md).
_delivery_costs: dict[int, dict[str, float]] = {}


# Costs (deliveries here, renders in the coalescer) are averaged with this weight for the
# newest: one slow push (a cold cache, a pause) barely moves a window, lasting ones do.
COST_SMOOTHING = 0.2


def smoothed(previous: float, newest: float) -> float:
    return previous + COST_SMOOTHING * (newest - previous)


def delivery_seconds(live_session_id: int) -> float:
    """What one update of the session costs this worker to deliver, to all its groups."""
    return sum(_delivery_costs.get(live_session_id, {}).values())


def _record_delivery(live_session_id: int, group_name: str, seconds: float) -> None:
    costs = _delivery_costs.setdefault(live_session_id, {})
    costs[group_name] = smoothed(costs.get(group_name, seconds), seconds)


class Screen(Protocol):
    """What the fan-out needs of a screen (the live consumers)."""

    def deliver(self, html: str) -> None:
        """Take one update (called once per update, from the worker's event loop)."""

    def layer_lost(self) -> None:
        """Updates stopped coming (the channel layer failed): reconnect and catch up."""


class _Group:
    def __init__(self, name: str) -> None:
        self.name = name
        self.screens: dict[int, Screen] = {}
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.channel: str | None = None
        self.tasks: list[asyncio.Task] = []


class Fanout:
    """The groups this worker listens to, and the screens of each."""

    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}

    async def join(self, group_name: str, screen_id: int, screen: Screen) -> None:
        """Register a screen; returns once the worker is subscribed to the group, so no update
        sent after this returns can be missed."""
        group = self._groups.get(group_name)
        if group is None:
            group = self._groups[group_name] = _Group(group_name)
            group.screens[screen_id] = screen
            try:
                await self._subscribe(group)
            except BaseException as exc:
                self._groups.pop(group_name, None)
                group.ready.set_exception(exc)
                group.ready.exception()  # retrieved: the other joiners see it too
                raise
            group.ready.set_result(None)
            if not group.screens:  # every screen left while the subscription was made
                await self.leave(group_name, screen_id)
            return
        group.screens[screen_id] = screen
        await asyncio.shield(group.ready)

    def screens(self, group_name: str) -> list[Screen]:
        """This worker's screens in the group."""
        group = self._groups.get(group_name)
        return list(group.screens.values()) if group else []

    async def leave(self, group_name: str, screen_id: int) -> None:
        group = self._groups.get(group_name)
        if group is None:
            return
        group.screens.pop(screen_id, None)
        if group.screens or not group.ready.done():
            return
        del self._groups[group_name]
        for costs in _delivery_costs.values():
            costs.pop(group_name, None)
        for task in group.tasks:
            task.cancel()
        # Wait for the receive to unwind: the Redis layer's receive state must be released
        # in this loop, not left to a loop that may be closing.
        await asyncio.gather(*group.tasks, return_exceptions=True)
        if group.channel is not None:
            with contextlib.suppress(Exception):  # the layer may be down; nothing to keep
                await get_channel_layer().group_discard(group_name, group.channel)

    async def _subscribe(self, group: _Group) -> None:
        layer = get_channel_layer()
        group.channel = await layer.new_channel()
        await layer.group_add(group.name, group.channel)
        group.tasks = [
            asyncio.ensure_future(self._pump(group, layer)),
            asyncio.ensure_future(self._renew(group, layer)),
        ]

    async def _pump(self, group: _Group, layer) -> None:
        while True:
            try:
                message = await layer.receive(group.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis gone or hung: what is pushed meanwhile is lost to these screens. Close
                # them, so that each reconnects (polling until it can) and resumes with its
                # sequence number, which brings a snapshot of what it missed.
                logger.warning(
                    "live updates for %s paused: channel layer unavailable",
                    group.name,
                    exc_info=True,
                )
                for screen in list(group.screens.values()):
                    screen.layer_lost()
                await asyncio.sleep(1)
                continue
            if message.get("type") != "live.update" or not isinstance(message.get("html"), str):
                continue
            started = time.perf_counter()
            for screen in list(group.screens.values()):
                try:
                    screen.deliver(message["html"])
                except Exception:
                    logger.exception("a screen of %s could not take an update", group.name)
            # Let the screens write before the next update: a backlog in the layer must not
            # fill their outboxes faster than they empty them. Most screens wrote in deliver();
            # the writer of each screen whose update waited runs its send before this returns,
            # so the time includes the sends.
            await asyncio.sleep(0)
            done = time.perf_counter()
            if isinstance(message.get("session"), int):
                _record_delivery(message["session"], group.name, done - started)
            if timeline.enabled() and isinstance(message.get("seq"), int):
                now = time.monotonic()
                timeline.delivered(
                    message["seq"], group.name, len(group.screens), now - (done - started), now
                )

    async def _renew(self, group: _Group, layer) -> None:
        while True:
            await asyncio.sleep(RENEW_MEMBERSHIP_SECONDS)
            with contextlib.suppress(Exception):
                await layer.group_add(group.name, group.channel)


_by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Fanout]" = (
    weakref.WeakKeyDictionary()
)


def local_fanout() -> Fanout:
    """This event loop's (this worker's) fan-out."""
    loop = asyncio.get_running_loop()
    fanout = _by_loop.get(loop)
    if fanout is None:
        fanout = _by_loop[loop] = Fanout()
    return fanout
