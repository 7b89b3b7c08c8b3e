"""Redis stopped: writes are answered and saved (limits fail open), pages are served, a board
that connects meanwhile gets its snapshot, or is told to try again later (1013) when its worker
would have to subscribe to Redis, instead of an error; once Redis is back live pushes flow again
and a board that connects catches up with everything."""

import asyncio

from sessions.live.consumers import CLOSE_TRY_AGAIN
from tests.chaos.room import CHAOS_TEST, Board, board_answer, needs_postgresql

pytestmark = [*CHAOS_TEST, needs_postgresql]
POSTS = 16


async def test_writes_are_saved_while_redis_is_stopped_and_live_updates_resume(
    owned_redis, start_worker, room
):
    worker = await start_worker(REDIS_URL=owned_redis.url)
    pages = [f"{worker.url}/taxonomy/", f"{worker.url}/s/{room.code}/board/"] * 4

    async with Board([worker.url], room.code) as board:
        (before,) = await room.post_needs(worker.url, "Before", 1)
        await board.wait_for(lambda: board.saw("Before 0"), timeout=5)

        owned_redis.stop()
        writes, reads = await asyncio.gather(
            room.post_needs(worker.url, "Redis away", POSTS),
            asyncio.gather(*(room.get(url) for url in pages)),
        )
        # A board joining a group this worker already listens to needs no Redis; one of a
        # group it must subscribe to (the French board) cannot, and is told to try again.
        late_board = await board_answer(worker.url, room.code)
        french_board = await board_answer(worker.url, room.code, language="fr")

        owned_redis.start()  # back, on the same port
        live_again = await room.post_until_the_board_shows_it(worker.url, board, "After")

    async with Board([worker.url], room.code) as reconnected:
        final_seq = await room.sequence()
        await reconnected.wait_for(lambda: reconnected.seq == final_seq, timeout=5)
    lost, doubled = await room.record(
        "Redis stopped",
        [*writes, *reads],
        live_again,
        slowest_write_s=round(max(a.seconds for a in writes), 2),
        board_connects=["snapshot" if isinstance(late_board, str) else late_board, french_board],
    )
    assert before.status == 302
    assert [a.status for a in writes] == [302] * POSTS
    assert [a.status for a in reads] == [200] * len(pages)
    assert all(f"Redis away {n + 1}<" in late_board for n in range(POSTS))  # its snapshot
    assert french_board == CLOSE_TRY_AGAIN
    assert (lost, doubled) == ([], [])
