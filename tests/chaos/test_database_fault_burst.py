"""A short PostgreSQL fault under a burst of writes stays the size of the fault, with the
shipped defaults (no DB_POOL_TIMEOUT or HTTP_CONCURRENCY of the test's own): while the
database is cut or hung for 4 s and two bursts of need posts and page views arrive, static
files and the pages that need no database (the join form) answer within 1 s throughout; every
request gets an answer, success or 503 with Retry-After, within 5 s of the fault's end; and
once phones send again what got no success, nothing is lost or doubled."""

import asyncio
import time

import pytest

from tests.chaos.room import CHAOS_TEST, needs_postgresql
from tests.servers import database_url

pytestmark = [*CHAOS_TEST, needs_postgresql]
FAULT_SECONDS = 4
BURST = 16
FREE_PAGES = ("/static/css/app.css", "/join/")  # need no database
FREE_WITHIN_SECONDS = 1.0
ANSWERED_AFTER_FAULT_SECONDS = 5.0


async def phones_send_again_until_saved(room, base_url: str, ended_at: float) -> float:
    """What phones do after a "try again": send what got no success once a second, with the
    same submission id, until every post is saved (15 s at most). Returns the seconds from the
    fault's end to the first success after it."""
    first_success = None
    for _round in range(15):
        waiting = [post for post in room.posts if not post.acknowledged]
        if not waiting:
            break
        answers = await asyncio.gather(*(room.send(base_url, post) for post in waiting))
        if first_success is None and any(a.status == 302 for a in answers):
            first_success = min(a.answered_at for a in answers if a.status == 302)
        await asyncio.sleep(1)
    return (first_success or ended_at) - ended_at


@pytest.mark.parametrize("fault", ["cut", "hang"])
async def test_a_database_fault_under_a_write_burst_stays_the_size_of_the_fault(
    fault, database_proxy, owned_redis, start_worker, room
):
    worker = await start_worker(
        DATABASE_URL=database_url(port=database_proxy.port), REDIS_URL=owned_redis.url
    )
    warm = await room.post_needs(worker.url, "Before", 4)
    assert [answer.status for answer in warm] == [302] * 4
    free: list = []
    polling = asyncio.Event()

    async def poll_free_pages() -> None:
        while not polling.is_set():
            for path in FREE_PAGES:
                free.append((path, await room.get(worker.url + path)))
            await asyncio.sleep(0.1)

    async def burst(label: str) -> list:
        return await asyncio.gather(
            *(room.send(worker.url, room.new_post(label)) for _ in range(BURST)),
            *(room.get(f"{worker.url}/taxonomy/") for _ in range(4)),
        )

    poller = asyncio.ensure_future(poll_free_pages())
    getattr(database_proxy, fault)()
    first = asyncio.ensure_future(burst("First"))
    await asyncio.sleep(FAULT_SECONDS / 2)
    second = asyncio.ensure_future(burst("Second"))
    await asyncio.sleep(FAULT_SECONDS / 2)
    database_proxy.restore()
    ended_at = time.monotonic()
    during = [*await first, *await second]
    polling.set()
    await poller
    first_success_after = await phones_send_again_until_saved(room, worker.url, ended_at)

    late = [a for a in during if a.status is None or a.answered_at > ended_at + 5]
    succeeded = [a for a in during if a.status in (200, 302)]
    try_again = [a for a in during if a.status == 503]
    slow_free = [(path, a.status, round(a.seconds, 2)) for path, a in free if a.seconds > 1]
    lost, doubled = await room.record(
        f"PostgreSQL {fault} under a write burst",
        during,
        max(a.answered_at for a in during) - ended_at,
        succeeded=len(succeeded),
        said_try_again=len(try_again),
        last_answer_after_fault_s=round(max(a.answered_at for a in during) - ended_at, 2),
        free_pages_polled=len(free),
        slowest_free_page_s=round(max(a.seconds for _path, a in free), 2),
        first_success_after_fault_s=round(first_success_after, 2),
    )
    assert [(p, a.status) for p, a in free if a.status != 200] == []
    assert slow_free == []
    assert len(succeeded) + len(try_again) == len(during)
    assert all(a.retry_after for a in try_again)
    assert late == [], [(a.status, round(a.answered_at - ended_at, 2)) for a in late]
    assert (lost, doubled) == ([], [])
