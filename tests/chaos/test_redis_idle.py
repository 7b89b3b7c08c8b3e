"""The other side of Redis socket timeouts: a quiet session must not trip them. Boards stay
connected, idle, for longer than 10 s (twice channels-redis' 5 s blocking read, which redis-py
8's 5 s socket timeout raced), on both channel layers, then receive the next update at once,
and no worker logged a channel-layer failure."""

import asyncio

from tests.chaos.room import CHAOS_TEST, Board

pytestmark = CHAOS_TEST
IDLE_SECONDS = 11


async def test_idle_boards_stay_connected_on_both_channel_layers(owned_redis, start_worker, room):
    workers = {
        backend: await start_worker(REDIS_URL=owned_redis.url, CHANNEL_LAYER_BACKEND=backend)
        for backend in ("pubsub", "core")
    }
    async with (
        Board([workers["pubsub"].url], room.code) as pubsub_board,
        Board([workers["core"].url], room.code) as core_board,
    ):
        await asyncio.sleep(IDLE_SECONDS)
        for backend, worker in workers.items():
            (answer,) = await room.post_needs(worker.url, f"After idling on {backend}", 1)
            assert answer.status == 302
        # (The two layers do not talk to each other: each board hears its own worker's post.)
        await pubsub_board.wait_for(lambda: pubsub_board.saw("After idling on pubsub"), timeout=2)
        await core_board.wait_for(lambda: core_board.saw("After idling on core"), timeout=2)

        assert pubsub_board.closes == [] and core_board.closes == []
    for worker in workers.values():
        assert "channel layer unavailable" not in worker.output()
        assert "Timeout reading" not in worker.output()
