"""Redis hung (SIGSTOP: it accepts connections and never answers, as when it swaps, forks for
long, is partitioned or CLIENT PAUSEd): writes are answered within 2 s and saved, pages that
need no Redis within 1 s, a board can still connect, and live pushes resume after SIGCONT.

Before the socket timeouts (REDIS_SOCKET_TIMEOUT), 16 need posts all took as long as Redis
was paused and pages timed out behind them in the worker's admission queue (issue 15)."""

import asyncio
import time

from tests.chaos.room import CHAOS_TEST, Board, needs_postgresql

pytestmark = [*CHAOS_TEST, needs_postgresql]
POSTS = 16
HUNG_FOR_SECONDS = 3


async def visit(room, pages: list[str]) -> list:
    """A visitor reading pages one after another, while the phones post."""
    return [await room.get(url) for url in pages]


async def test_writes_and_pages_are_answered_while_redis_hangs_and_pushes_resume(
    owned_redis, start_worker, room
):
    worker = await start_worker(REDIS_URL=owned_redis.url)
    pages = [f"{worker.url}/taxonomy/", f"{worker.url}/s/{room.code}/board/"] * 4

    async with Board([worker.url], room.code) as board:
        # A worker in service is warm: its pool open, its templates compiled.
        warm_writes, warm_reads = await asyncio.gather(
            room.post_needs(worker.url, "Before", POSTS), visit(room, pages)
        )
        assert [a.status for a in [*warm_writes, *warm_reads]] == [302] * POSTS + [200] * 8
        await board.wait_for(lambda: board.saw(f"Before {POSTS - 1}"), timeout=5)

        owned_redis.pause()
        hung_at = time.monotonic()
        try:
            writes, reads = await asyncio.gather(
                room.post_needs(worker.url, "Hung", POSTS), visit(room, pages)
            )
            async with Board([worker.url], room.code) as late_board:  # opened during the hang
                await late_board.wait_for(lambda: late_board.seq >= 0, timeout=5)
            await asyncio.sleep(max(0.0, HUNG_FOR_SECONDS - (time.monotonic() - hung_at)))
        finally:
            owned_redis.resume()

        recovered_in = await room.post_until_the_board_shows_it(worker.url, board, "After")

    lost, doubled = await room.record(
        "Redis hung",
        [*writes, *reads],
        recovered_in,
        warm_slowest_write_s=round(max(a.seconds for a in warm_writes), 2),
        warm_slowest_page_s=round(max(a.seconds for a in warm_reads), 2),
        slowest_write_s=round(max(a.seconds for a in writes), 2),
        slowest_page_s=round(max(a.seconds for a in reads), 2),
    )
    assert [a.status for a in writes] == [302] * POSTS
    assert max(a.seconds for a in writes) < 2, [round(a.seconds, 2) for a in writes]
    assert [a.status for a in reads] == [200] * len(pages)
    assert max(a.seconds for a in reads) < 1, [round(a.seconds, 2) for a in reads]
    assert (lost, doubled) == ([], [])
