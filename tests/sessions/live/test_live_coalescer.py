"""The coalescing window of live pushes stretches when renders are slow (a storm of votes on a
busy worker) and stays short when they are quick (sessions.live.coalescer.Coalescer)."""

import time

import pytest

from sessions.live.change import Change
from sessions.live.coalescer import RENDER_TIME_SHARE, Coalescer


@pytest.fixture
def window(settings):
    settings.LIVE_COALESCE_SECONDS = 0.05
    settings.LIVE_COALESCE_MAX_SECONDS = 1.0


@pytest.fixture
def pushes():
    """What a recording coalescer pushed: (session id, change, when)."""
    return []


@pytest.fixture
def render_costs():
    """CPU seconds the recording coalescer's renders take, by session (none by default)."""
    return {}


@pytest.fixture
def coalescer(window, pushes, render_costs):
    async def record(live_session_id, change):
        pushes.append((live_session_id, change, time.monotonic()))
        return render_costs.get(live_session_id, 0.0)

    coalescer = Coalescer(push=record)
    yield coalescer
    coalescer.stop()


def wait_for(pushes, count, timeout=5.0):
    deadline = time.monotonic() + timeout
    while len(pushes) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return pushes


def busy(coalescer, live_session_id, every=0.01, changes=40, start=None):
    """Changes that arrived every ``every`` seconds until now: by default too fast to push each
    one if renders are slow."""
    start = time.monotonic() - every * changes if start is None else start
    for index in range(changes):
        coalescer.record_arrival(live_session_id, start + index * every)


def test_quick_renders_keep_the_short_window(coalescer):
    busy(coalescer, 7)
    assert coalescer.window(7) == 0.05
    coalescer.record_render(7, 0.005)

    assert coalescer.window(7) == 0.05


def test_slow_renders_stretch_the_window_to_keep_their_share_of_time(coalescer):
    busy(coalescer, 7)
    busy(coalescer, 8)
    coalescer.record_render(7, 0.1)

    assert coalescer.window(7) == pytest.approx(0.1 / RENDER_TIME_SHARE)
    assert coalescer.window(8) == 0.05  # another session is not held back


def test_slow_renders_of_rare_changes_keep_the_short_window(coalescer):
    """Pushing every change at once keeps up: a longer window would only delay the screens
    (at 1,000 screens it doubled p95 for nothing, bench/fanout.py)."""
    busy(coalescer, 7, every=1.0, changes=3)  # one change a second
    coalescer.record_render(7, 0.1)  # 15 % of the time if each is pushed at once

    assert coalescer.window(7) == 0.05

    busy(coalescer, 7, every=0.1, changes=20)  # ten a second: all the time

    assert coalescer.window(7) == pytest.approx(0.1 / RENDER_TIME_SHARE)


def test_a_storm_stretches_the_window_within_half_a_second(coalescer):
    """At the start of a plenary's votes a screen-heavy session must not push every vote for
    the two seconds a full count takes: at 5,000 screens those pushes left the screens up to
    0.8 s behind (docs/performance.md)."""
    coalescer.record_render(7, 0.09)  # a push to 5,000 screens: render and delivery
    busy(coalescer, 7, every=0.1, changes=5)  # ten a second, for half a second so far

    assert coalescer.window(7) == pytest.approx(0.09 / RENDER_TIME_SHARE)


def test_two_changes_close_together_are_not_a_storm(coalescer):
    coalescer.record_render(7, 0.09)
    busy(coalescer, 7, every=0.01, changes=2)

    assert coalescer.window(7) == 0.05


def test_the_window_never_passes_its_maximum(coalescer):
    busy(coalescer, 7)
    coalescer.record_render(7, 5.0)

    assert coalescer.window(7) == 1.0


def test_the_window_shrinks_again_when_renders_get_quick(coalescer):
    busy(coalescer, 7)  # 40 changes in 0.4 s: 80 a second
    coalescer.record_render(7, 0.2)
    for _ in range(30):  # until one slow render weighs nothing (cost 2.2 ms, 18 % at 80/s)
        coalescer.record_render(7, 0.002)

    assert coalescer.window(7) == 0.05


def test_a_change_soon_after_a_slow_push_waits_for_the_stretched_window(
    coalescer, pushes, render_costs
):
    # Through add(), as a write's on_commit calls it with the Redis layer, in a storm.
    busy(coalescer, 7)
    render_costs[7] = 0.2  # window 0.8 s once the first push has cost that
    coalescer.add(7, Change(tallies={1}))  # the first change after quiet goes out at once
    wait_for(pushes, 1)

    coalescer.add(7, Change(tallies={2}))
    wait_for(pushes, 2)

    (_, _, first), (_, second_change, second) = pushes
    assert 0.7 < second - first <= 0.8 + 0.2
    assert second_change.tallies == {2}


def test_changes_inside_a_window_are_merged_into_one_push(coalescer, pushes):
    coalescer.add(7, Change(tallies={1}))
    wait_for(pushes, 1)

    coalescer.add(7, Change(tallies={2}))
    coalescer.add(7, Change(regions={"grid"}, needs_removed={3}))
    time.sleep(0.3)

    assert len(pushes) == 2
    merged = pushes[1][1]
    assert (merged.tallies, merged.regions, merged.needs_removed) == ({2}, {"grid"}, {3})


def test_after_a_push_that_could_not_be_sent_the_next_push_is_everything(window):
    from sessions.live.change import ALL_REGIONS

    pushes = []

    async def failing_once(live_session_id, change):
        pushes.append(change)
        if len(pushes) == 1:
            raise ConnectionError("Redis is down")
        return 0.0

    coalescer = Coalescer(push=failing_once)
    try:
        coalescer.add(7, Change(tallies={1}))
        wait_for(pushes, 1)
        time.sleep(0.1)  # past the window

        coalescer.add(7, Change(tallies={2}))
        wait_for(pushes, 2)
    finally:
        coalescer.stop()

    assert pushes[1].regions == set(ALL_REGIONS)  # screens that stayed connected catch up


def test_a_push_that_could_not_be_sent_is_tried_again_without_a_new_change(window, monkeypatch):
    """Screens that stayed connected through an outage catch up even if nothing else is posted:
    the failed push is retried as everything, and sent once more after a settling delay (a
    worker's subscriptions come back a little after Redis does)."""
    from sessions.live import coalescer as coalescer_module
    from sessions.live.change import ALL_REGIONS

    monkeypatch.setattr(coalescer_module, "RETRY_SECONDS", 0.1)
    monkeypatch.setattr(coalescer_module, "SETTLE_SECONDS", 0.3)
    pushes = []

    async def down_for_three(live_session_id, change):
        pushes.append((change, time.monotonic()))
        if len(pushes) <= 3:
            raise ConnectionError("Redis is down")
        return 0.0

    coalescer = Coalescer(push=down_for_three)
    try:
        coalescer.add(7, Change(tallies={1}))
        wait_for(pushes, 5, timeout=5)
        time.sleep(0.5)  # and then nothing more: the retries stop once one went through
    finally:
        coalescer.stop()

    assert len(pushes) == 5
    assert all(change.regions == set(ALL_REGIONS) for change, _ in pushes[1:])
    # The retries come after the retry delay; the settling one after its own, longer one.
    assert pushes[4][1] - pushes[3][1] >= 0.3
