"""A worker killed mid-push (SIGKILL, as the OOM killer does) while phones post through two
workers: the board on it reconnects to the other worker, resumes from its last sequence number
and converges on everything saved; every post the dead worker acknowledged is saved, the
phones' retries on the other worker save the rest, and nothing is saved twice."""

import asyncio
import time

from tests.chaos.room import CHAOS_TEST, Board, needs_postgresql

pytestmark = [*CHAOS_TEST, needs_postgresql]
POSTS = 24


async def test_the_board_converges_on_the_other_worker_when_its_worker_is_killed(
    owned_redis, start_worker, room
):
    doomed, survivor = await asyncio.gather(
        *(start_worker(REDIS_URL=owned_redis.url) for _ in (1, 2))
    )

    async with Board([doomed.url, survivor.url], room.code) as board:
        answers, killed_at = [], None
        for n in range(POSTS):
            worker = (doomed, survivor)[n % 2]
            answers.append(await room.send(worker.url, room.new_post("Through two workers")))
            if n == POSTS // 2:  # right after a post on the doomed worker: its push in flight
                doomed.kill()
                killed_at = time.monotonic()
            await asyncio.sleep(0.02)
        await room.retry_unacknowledged(survivor.url)
        final_seq = await room.sequence()
        await board.wait_for(lambda: board.seq == final_seq, timeout=10)
        converged_in = time.monotonic() - killed_at
        (last,) = await room.post_needs(survivor.url, "After the kill", 1)
        await board.wait_for(lambda: board.saw(f"After the kill {POSTS}<"), timeout=5)

    on_the_dead_worker = answers[POSTS // 2 + 2 :: 2]  # even posts went to the doomed worker
    lost, doubled = await room.record(
        "worker killed",
        answers,
        converged_in,
        refused_by_the_dead_worker=sum(a.status is None for a in on_the_dead_worker),
        board_reconnects=len(board.closes),
    )
    assert {a.status for a in answers[: POSTS // 2 + 1]} == {302}
    assert all(a.status is None for a in on_the_dead_worker)  # refused: nothing half-done
    assert {a.status for a in answers[POSTS // 2 + 1 :: 2]} == {302}  # the survivor's
    assert board.closes and last.status == 302
    assert (lost, doubled) == ([], [])
