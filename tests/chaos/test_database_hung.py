"""PostgreSQL hung (the test's own proxy holds every byte both ways: connections open, nothing
answered, as when the server is stopped or its disk stalls). No request is left without an
answer: one that holds a pooled connection waits for the database and succeeds as soon as it
answers again; the others get 503 "try again" within the pool's timeout. A board connecting
meanwhile gets its snapshot once the database is back. Nothing is lost or doubled when phones
retry, and the first requests afterwards succeed.

What is not bounded: a request already waiting on the database waits for as long as the
database hangs (no client-side read timeout exists in psycopg); nginx's proxy_read_timeout
bounds it for the phone (docs/reliability.md)."""

import asyncio
import time

from tests.chaos.room import CHAOS_TEST, PROXIED_POOL_TIMEOUT, Board, board_answer

pytestmark = CHAOS_TEST
POSTS = 8
HUNG_FOR_SECONDS = 4


async def test_every_request_is_answered_while_the_database_hangs_and_after(
    database_proxy, proxied_worker, room
):
    worker = proxied_worker
    pages = [f"{worker.url}/taxonomy/", f"{worker.url}/s/{room.code}/board/"] * 2

    async def restore_later() -> float:
        await asyncio.sleep(HUNG_FOR_SECONDS)
        database_proxy.restore()
        return time.monotonic()

    async with Board([worker.url], room.code) as board:
        warm = await room.post_needs(worker.url, "Before", POSTS)
        assert [a.status for a in warm] == [302] * POSTS

        database_proxy.hang()
        hung_at = time.monotonic()
        writes, reads, board_meanwhile, restored_at = await asyncio.gather(
            room.post_needs(worker.url, "Hung", POSTS),
            asyncio.gather(*(room.get(url) for url in pages)),
            board_answer(worker.url, room.code, wait=HUNG_FOR_SECONDS + 5),
            restore_later(),
        )
        first_requests = [await room.get(url) for url in pages]
        recovered_in = time.monotonic() - restored_at
        await room.retry_unacknowledged(worker.url)
        final_seq = await room.sequence()
        await board.wait_for(lambda: board.seq == final_seq, timeout=10)

    during = [*writes, *reads]
    waited_for_database = [a for a in during if a.status in (200, 302)]
    said_try_again = [a for a in during if a.status == 503]
    lost, doubled = await room.record(
        "PostgreSQL hung",
        during,
        recovered_in,
        succeeded_once_back=len(waited_for_database),
        said_try_again=len(said_try_again),
        slowest_try_again_s=round(max((a.seconds for a in said_try_again), default=0), 2),
        board_connect="snapshot" if isinstance(board_meanwhile, str) else board_meanwhile,
    )
    assert len(waited_for_database) + len(said_try_again) == len(during)
    assert all(a.seconds < PROXIED_POOL_TIMEOUT + 1 for a in said_try_again)
    answered_by = restored_at - hung_at + 1
    assert all(a.seconds < answered_by for a in waited_for_database)
    assert isinstance(board_meanwhile, str) and "Before 7<" in board_meanwhile
    assert [a.status for a in first_requests] == [200] * len(pages)
    assert (lost, doubled) == ([], [])
