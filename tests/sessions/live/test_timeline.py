"""The fan-out bench's breakdown (bench/fanout.py --timeline) reads one line per push and one
per worker's delivery (sessions.live.timeline): written only while the logger is on, with the
update's sequence number and times in order, and read back as written."""

import asyncio
import logging
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from sessions.live import coalescer, fanout, groups, timeline
from sessions.live.change import Change
from tests.factories import LiveSessionFactory, NeedFactory


class Screen:
    def __init__(self) -> None:
        self.received: list[str] = []

    def deliver(self, html: str) -> None:
        self.received.append(html)

    def layer_lost(self) -> None:
        pass


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == timeline.logger.name]


async def deliver_one(seq: int) -> list[Screen]:
    """One update (``seq``) through a worker's fan-out to two screens; returns them."""
    workers_fanout = fanout.Fanout()
    screens = [Screen(), Screen()]
    for index, screen in enumerate(screens):
        await workers_fanout.join("live-timeline-group", index, screen)
    try:
        await get_channel_layer().group_send(
            "live-timeline-group", {"type": "live.update", "html": "<p>", "seq": seq, "session": 3}
        )
        deadline = time.monotonic() + 5
        while not all(screen.received for screen in screens) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the line is written after the screens have the update
    finally:
        for index in range(len(screens)):
            await workers_fanout.leave("live-timeline-group", index)
    return screens


@pytest.mark.asyncio
async def test_nothing_is_written_while_the_logger_is_off(caplog):
    caplog.set_level(logging.INFO, logger=timeline.logger.name)

    screens = await deliver_one(41)

    assert all(screen.received == ["<p>"] for screen in screens)
    assert lines(caplog) == []


@pytest.mark.asyncio
async def test_a_worker_says_when_it_handed_an_update_to_its_screens(caplog):
    caplog.set_level(logging.DEBUG, logger=timeline.logger.name)
    before = time.monotonic()

    screens = await deliver_one(42)

    _pushes, deliveries = timeline.parse(lines(caplog))
    [(group, count, received, done)] = deliveries[42]
    assert (group, count) == ("live-timeline-group", 2)
    assert before <= received <= done <= time.monotonic()
    assert all(screen.received == ["<p>"] for screen in screens)


@pytest.mark.django_db(transaction=True)
def test_a_push_says_when_it_was_taken_rendered_and_sent(caplog, monkeypatch):
    caplog.set_level(logging.DEBUG, logger=timeline.logger.name)
    live_session = LiveSessionFactory(phase="voting")
    need = NeedFactory(live_session=live_session)

    async def every_group(names):
        return set(names)

    monkeypatch.setattr(groups, "listened", every_group)
    before = time.monotonic()
    async_to_sync(coalescer.render_and_send)(live_session.pk, Change.of(tallies=[need.pk]))

    pushes, _deliveries = timeline.parse(lines(caplog))
    live_session.refresh_from_db()
    started, rendered, sent = pushes[live_session.sequence]
    assert before <= started <= rendered <= sent <= time.monotonic()


def test_the_bench_reads_the_lines_as_the_log_file_holds_them():
    written = [
        "1234 pushed 7 10.000000 10.020000 10.021000",
        "1235 delivered 7 live-session-1.board.en 250 10.022000 10.025000",
        "1234 delivered 7 live-session-1.participants.en 2250 10.022500 10.060000",
        "something else entirely",
    ]

    pushes, deliveries = timeline.parse(written)

    assert pushes == {7: (10.0, 10.02, 10.021)}
    assert [d[:2] for d in deliveries[7]] == [
        ("live-session-1.board.en", 250),
        ("live-session-1.participants.en", 2250),
    ]
    assert max(d[3] for d in deliveries[7]) == 10.06
