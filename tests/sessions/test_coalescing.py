"""The coalescing window of live pushes stretches when renders are slow (a storm of votes on a
busy worker) and stays short when they are quick (sessions.broadcast.Coalescer)."""

import time

import pytest

from sessions import broadcast


@pytest.fixture
def coalescer(settings):
    settings.LIVE_COALESCE_SECONDS = 0.05
    settings.LIVE_COALESCE_MAX_SECONDS = 1.0
    coalescer = broadcast.Coalescer()
    yield coalescer
    loop = coalescer._loop
    if loop is not None:  # the pushes' own loop, started by add()
        loop.call_soon_threadsafe(loop.stop)
        deadline = time.monotonic() + 5
        while loop.is_running() and time.monotonic() < deadline:
            time.sleep(0.01)
        loop.close()


def test_quick_renders_keep_the_short_window(coalescer):
    assert coalescer.window(7, 0.05) == 0.05
    coalescer._record_render(7, 0.005)

    assert coalescer.window(7, 0.05) == 0.05


def test_slow_renders_stretch_the_window_to_keep_their_share_of_time(coalescer):
    coalescer._record_render(7, 0.1)

    assert coalescer.window(7, 0.05) == pytest.approx(0.1 / broadcast.RENDER_TIME_SHARE)
    assert coalescer.window(8, 0.05) == 0.05  # another session is not held back


def test_the_window_never_passes_its_maximum(coalescer):
    coalescer._record_render(7, 5.0)

    assert coalescer.window(7, 0.05) == 1.0


def test_the_window_shrinks_again_when_renders_get_quick(coalescer):
    coalescer._record_render(7, 0.2)
    for _ in range(8):
        coalescer._record_render(7, 0.002)

    assert coalescer.window(7, 0.05) == 0.05


def test_a_change_soon_after_a_slow_push_waits_for_the_stretched_window(coalescer, monkeypatch):
    # Through add(), as a write's on_commit calls it with the Redis layer.
    monkeypatch.setattr(broadcast, "_layer_is_in_process", lambda: False)
    waits = []

    async def record(live_session_id, wait):
        waits.append(wait)

    monkeypatch.setattr(coalescer, "_push_after", record)
    coalescer._record_render(7, 0.2)  # window 0.8 s
    coalescer._last_push[7] = time.monotonic()

    coalescer.add(7, broadcast.Change(tallies={1}))
    deadline = time.monotonic() + 5
    while not waits and time.monotonic() < deadline:
        time.sleep(0.01)

    assert 0.7 < waits[0] <= 0.8
