"""A board that stays connected through a Redis outage ends up showing what was posted during
it. The pushes made while Redis was stopped or hung are lost, so both halves of
sessions/live/ make up for them: the worker's fan-out closes its screens (1013) when its
channel-layer receive fails, so they reconnect and resume with their sequence number; and a
push that could not be sent makes the session's next push a full one (Change.everything())."""

import asyncio

import pytest

from tests.chaos.room import CHAOS_TEST, Board, needs_postgresql

pytestmark = [*CHAOS_TEST, needs_postgresql]
MEANWHILE = 4


@pytest.mark.parametrize("fault", ["stopped", "hung"])
async def test_a_board_open_through_a_redis_outage_shows_what_was_posted_meanwhile(
    fault, owned_redis, start_worker, room
):
    worker = await start_worker(REDIS_URL=owned_redis.url)
    async with Board([worker.url], room.code) as board:
        owned_redis.stop() if fault == "stopped" else owned_redis.pause()
        meanwhile = []
        for _ in range(MEANWHILE):  # apart, so that each needs a push of its own
            meanwhile += await room.post_needs(worker.url, "Meanwhile", 1)
            await asyncio.sleep(0.6)
        owned_redis.start() if fault == "stopped" else owned_redis.resume()
        assert [a.status for a in meanwhile] == [302] * MEANWHILE
        (after,) = await room.post_needs(worker.url, "After", 1)
        await board.wait_for(lambda: board.saw(f"After {MEANWHILE}<"), timeout=10)

        await board.wait_for(
            lambda: all(board.saw(f"Meanwhile {n}<") for n in range(MEANWHILE)), timeout=3
        )
