"""A worker measures what delivering a session's updates to its screens costs, and the
coalescer stretches that session's window with it: with thousands of screens a worker, delivery
costs more than the render (bench/fanout.py), and a window sized for renders alone let pushes
saturate the workers (sessions.live.fanout, sessions.live.coalescer)."""

import asyncio
import time

import pytest
from channels.layers import get_channel_layer

from sessions.live import fanout
from sessions.live.coalescer import RENDER_TIME_SHARE, Coalescer


class SlowScreen:
    """A screen whose every update costs about ``seconds`` of the worker's CPU."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.received: list[str] = []

    def deliver(self, html: str) -> None:
        started = time.thread_time()
        while time.thread_time() - started < self.seconds:
            pass
        self.received.append(html)

    def layer_lost(self) -> None:
        pass


class StarvedScreen:
    """A screen whose update keeps the worker's loop ``seconds`` without its CPU: as when the
    worker waits for a core that other processes hold."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def deliver(self, html: str) -> None:
        time.sleep(self.seconds)

    def layer_lost(self) -> None:
        pass


@pytest.fixture
def clean_costs():
    fanout._delivery_costs.clear()
    yield
    fanout._delivery_costs.clear()


@pytest.mark.asyncio
async def test_a_worker_measures_what_delivering_a_sessions_update_costs(clean_costs):
    workers_fanout = fanout.Fanout()
    screens = [SlowScreen(0.002) for _ in range(20)]
    for index, screen in enumerate(screens):
        await workers_fanout.join("live-test-group", index, screen)
    try:
        await get_channel_layer().group_send(
            "live-test-group", {"type": "live.update", "html": "<p>", "seq": 1, "session": 7}
        )
        deadline = time.monotonic() + 5
        while not fanout.delivery_seconds(7) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

        assert all(screen.received == ["<p>"] for screen in screens)
        assert fanout.delivery_seconds(7) >= 20 * 0.002 * 0.9  # every screen's share counted
        assert fanout.delivery_seconds(8) == 0  # another session's cost is its own
    finally:
        for index in range(len(screens)):
            await workers_fanout.leave("live-test-group", index)
    assert fanout.delivery_seconds(7) == 0  # a group that is left costs nothing any more


def test_costly_deliveries_stretch_the_window_as_renders_do(settings, clean_costs):
    settings.LIVE_COALESCE_SECONDS = 0.05
    settings.LIVE_COALESCE_MAX_SECONDS = 1.0
    coalescer = Coalescer(push=lambda *args: None)
    now = time.monotonic()
    for index in range(40):  # changes every 10 ms: too fast to push each one
        coalescer.record_arrival(7, now - index * 0.01)
    fanout._record_delivery(7, "live-session-7.participants.en", 0.06)
    fanout._record_delivery(7, "live-session-7.board.en", 0.02)
    coalescer.record_render(7, 0.02)

    assert coalescer.window(7) == pytest.approx((0.06 + 0.02 + 0.02) / RENDER_TIME_SHARE)
    assert coalescer.window(8) == 0.05


@pytest.mark.asyncio
async def test_a_delivery_costs_the_time_the_loop_spent_not_only_its_cpu(clean_costs):
    """A worker short of CPU is busy for longer than its CPU time says: that time counts, so
    the coalescer stretches the window instead of pushing more often than the loop can."""
    workers_fanout = fanout.Fanout()
    screens = [StarvedScreen(0.002) for _ in range(10)]
    for index, screen in enumerate(screens):
        await workers_fanout.join("live-test-starved", index, screen)
    try:
        await get_channel_layer().group_send(
            "live-test-starved", {"type": "live.update", "html": "<p>", "seq": 1, "session": 9}
        )
        deadline = time.monotonic() + 5
        while not fanout.delivery_seconds(9) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

        assert fanout.delivery_seconds(9) >= 10 * 0.002 * 0.9
    finally:
        for index in range(len(screens)):
            await workers_fanout.leave("live-test-starved", index)
