"""Hostile WebSocket frames against a real worker, uvicorn with the shipped unit's flags or
Daphne as the project starts it: a frame over the limit is closed (1009) before the app sees
it, however large it claims to be, without the worker's memory growing; compression is not
negotiated; the largest message a screen sends still passes, and so does a snapshot larger
than the limit, which only bounds what clients send."""

import asyncio
import contextlib
import json

import pytest
import websockets
from channels.db import database_sync_to_async
from websockets.exceptions import ConnectionClosed

from tests.factories import LiveSessionFactory, NeedFactory
from tests.servers import Worker, worker_env

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
SOCKETS = 10


async def open_board(worker: Worker, code: str):
    return await websockets.connect(
        f"ws://127.0.0.1:{worker.port}/ws/s/{code}/board/",
        origin=worker.url,
        compression="deflate",  # offered, as browsers do
        max_size=None,
        open_timeout=10,
    )


async def resume_and_get_snapshot(board) -> str:
    # Any number but the session's own gets the snapshot.
    await board.send(json.dumps({"type": "resume", "since": 10**6}))
    return await asyncio.wait_for(board.recv(), timeout=10)


async def closed_code(board, payload: str) -> int | None:
    """Send ``payload``; the close code the server answered with (None: the app answered)."""
    with contextlib.suppress(ConnectionClosed, ConnectionResetError):
        await board.send(payload)
    try:
        answer = await asyncio.wait_for(board.recv(), timeout=10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else 1006
    pytest.fail(f"the app answered the oversized message: {answer[:200]}")


@database_sync_to_async
def a_session_with_a_big_snapshot():
    session = LiveSessionFactory()
    NeedFactory.create_batch(40, live_session=session, text="A need spelled out at length. " * 9)
    return session


@pytest.mark.parametrize("server", ["uvicorn", "daphne"])
async def test_oversized_frames_are_closed_before_the_app_and_cost_no_memory(server):
    session = await a_session_with_a_big_snapshot()
    worker = getattr(Worker, server)(worker_env())
    try:
        await worker.wait_until_serving()
        # Warm up: as many sockets as the attack uses, served normally.
        warm = [await open_board(worker, session.code) for _ in range(2 * SOCKETS)]
        for board in warm:
            snapshot = await resume_and_get_snapshot(board)
            assert "live-seq" in snapshot and len(snapshot.encode()) > 16384
            assert board.response.headers.get("Sec-WebSocket-Extensions") is None
            await board.close()
        padded = '{"type": "resume", "since": 1000000' + " " * 2000 + "}"  # the most a screen sends
        board = await open_board(worker, session.code)
        await board.send(padded)
        assert "live-seq" in await asyncio.wait_for(board.recv(), timeout=10)
        await board.close()
        rss_before = worker.rss_kib()

        small = [await open_board(worker, session.code) for _ in range(SOCKETS)]
        huge = [await open_board(worker, session.code) for _ in range(SOCKETS)]
        small_codes = await asyncio.gather(*(closed_code(b, "x" * 65536) for b in small))
        huge_codes = await asyncio.gather(*(closed_code(b, "x" * (4 << 20)) for b in huge))
        rss_after = worker.rss_kib()

        print(f"{server} RSS {rss_before} KiB before, {rss_after} KiB after the frames")
        # uvicorn closes with 1009 "message too big"; autobahn (Daphne) drops the connection.
        assert set(small_codes) == ({1009} if server == "uvicorn" else {1006})
        assert all(code is not None for code in huge_codes)
        # 40 MiB were sent in all; the worker kept none of it.
        assert rss_after - rss_before < 4096, (rss_before, rss_after)
        still_serving = await open_board(worker, session.code)
        assert "live-seq" in await resume_and_get_snapshot(still_serving)
        await still_serving.close()
    except BaseException:
        print(worker.output()[-4000:])
        raise
    finally:
        worker.stop()


async def flood(worker: Worker, code: str, messages: int) -> int | None:
    """Open a board and send ``messages`` resumes without waiting; the close code it got."""
    board = await open_board(worker, code)
    with contextlib.suppress(ConnectionClosed):
        for n in range(messages):
            await board.send(json.dumps({"type": "resume", "since": n}))
    try:
        while True:
            await asyncio.wait_for(board.recv(), timeout=10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


@pytest.mark.parametrize("server", ["uvicorn", "daphne"])
async def test_a_message_flood_closes_the_socket_once_with_one_line_and_no_traceback(server):
    session = await database_sync_to_async(LiveSessionFactory)()
    worker = getattr(Worker, server)(worker_env())
    try:
        await worker.wait_until_serving()

        codes = await asyncio.gather(*(flood(worker, session.code, 400) for _ in range(3)))
        still_serving = await open_board(worker, session.code)
        assert "live-seq" in await resume_and_get_snapshot(still_serving)
        await still_serving.close()
    finally:
        worker.stop()
    output = worker.output()

    assert codes == [4429] * 3
    assert "Traceback" not in output, output[-3000:]
    assert "Unexpected ASGI message" not in output, output[-3000:]
    flood_lines = [line for line in output.splitlines() if "messages on one connection" in line]
    assert len(flood_lines) == 3, output[-3000:]
