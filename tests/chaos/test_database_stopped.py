"""PostgreSQL stopped (the test's own proxy in front of it cuts every connection and refuses
new ones): requests get 503 "try again" within the pool's timeout, a board connecting meanwhile
is told to try again later (1013), a board already open stays open; once it is back, the first
requests and the first WebSocket connect succeed, phones that retry save their needs once, and
the board catches up. After an outage nobody noticed, the first requests do not get the pool's
broken connections (the pool checks a connection before handing it out)."""

import asyncio
import time

from sessions.live.consumers import CLOSE_TRY_AGAIN
from tests.chaos.room import CHAOS_TEST, PROXIED_POOL_TIMEOUT, Board, board_answer

pytestmark = CHAOS_TEST
POSTS = 8


async def test_requests_say_try_again_while_the_database_is_away_and_succeed_once_back(
    database_proxy, proxied_worker, room
):
    worker = proxied_worker
    pages = [f"{worker.url}/taxonomy/", f"{worker.url}/s/{room.code}/board/"] * 2

    async with Board([worker.url], room.code) as board:
        warm = await room.post_needs(worker.url, "Before", POSTS)
        assert [a.status for a in warm] == [302] * POSTS

        database_proxy.cut()
        writes, reads = await asyncio.gather(
            room.post_needs(worker.url, "While away", POSTS),
            asyncio.gather(*(room.get(url) for url in pages)),
        )
        board_meanwhile = await board_answer(worker.url, room.code)

        database_proxy.restore()
        restored_at = time.monotonic()
        first_requests = [await room.get(url) for url in pages]
        first_board = await board_answer(worker.url, room.code)
        recovered_in = time.monotonic() - restored_at
        await room.retry_unacknowledged(worker.url)
        final_seq = await room.sequence()
        await board.wait_for(lambda: board.seq == final_seq, timeout=10)

        # A short outage while nobody asks: every pooled connection is broken when it ends.
        await asyncio.gather(*(room.get(url) for url in pages * 2))  # several in the pool
        database_proxy.cut()
        await asyncio.sleep(0.5)
        database_proxy.restore()
        after_quiet_outage = await asyncio.gather(*(room.get(url) for url in pages * 2))

    during = [*writes, *reads]
    lost, doubled = await room.record(
        "PostgreSQL stopped",
        during,
        recovered_in,
        answers_during=sorted({a.status for a in during}),
        slowest_answer_s=round(max(a.seconds for a in during), 2),
        board_connect=board_meanwhile,
    )
    assert {a.status for a in during} == {503}
    assert max(a.seconds for a in during) < PROXIED_POOL_TIMEOUT + 2
    assert board_meanwhile == CLOSE_TRY_AGAIN
    assert [a.status for a in first_requests] == [200] * len(pages)
    assert [a.status for a in after_quiet_outage] == [200] * 2 * len(pages)
    assert isinstance(first_board, str) and "Before 7<" in first_board  # a snapshot
    assert board.closes == []  # the open board never noticed
    assert (lost, doubled) == ([], [])
