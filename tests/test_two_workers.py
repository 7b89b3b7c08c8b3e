"""Two real server processes share live updates through Redis: a board connected to worker A
sees a need posted through worker B within two seconds. Worker A runs uvicorn as production does
(deploy/commonground@.service), worker B Daphne: both servers work, and together.

Needs the production stack (DATABASE_URL on PostgreSQL and REDIS_URL), as CI runs it."""

import asyncio
import sys
import time
import uuid

import httpx
import pytest
import websockets
from channels.db import database_sync_to_async
from django.conf import settings

from sessions.enums import Phase
from tests.factories import LiveSessionFactory
from tests.servers import Worker, worker_env

pytestmark = [
    pytest.mark.skipif(
        not (settings.DATABASE_VENDOR == "postgresql" and settings.REDIS_URL),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), as in CI",
    ),
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]


async def test_a_board_on_worker_a_sees_a_need_posted_on_worker_b():
    session = await database_sync_to_async(LiveSessionFactory)(phase=Phase.NEEDS)
    code = session.code
    env = worker_env(
        REDIS_URL=settings.REDIS_URL,
        CHANNEL_LAYER_PREFIX=f"cg-two-workers-{uuid.uuid4().hex[:8]}",
    )
    workers = [Worker.uvicorn(env), Worker.daphne(env)]
    port_a, port_b = workers[0].port, workers[1].port
    try:
        await asyncio.gather(*(worker.wait_until_serving() for worker in workers))
        origin = f"http://127.0.0.1:{port_a}"
        async with websockets.connect(
            f"ws://127.0.0.1:{port_a}/ws/s/{code}/board/", origin=origin
        ) as board:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_b}") as phone:
                join_url = f"/join/{code}/"
                await phone.get(join_url)
                token = phone.cookies["csrftoken"]
                joined = await phone.post(
                    join_url,
                    data={"presence": "remote", "agree": "on", "csrfmiddlewaretoken": token},
                    headers={"X-CSRFToken": token},
                )
                assert joined.status_code == 302, joined.text[:500]
                posted = await phone.post(
                    f"/s/{code}/needs/",
                    data={"text": "Seen from the other worker", "csrfmiddlewaretoken": token},
                    headers={"X-CSRFToken": token},
                )
                assert posted.status_code == 302, posted.text[:500]
                sent_at = time.monotonic()

            async def the_need_arrives() -> None:
                while "Seen from the other worker" not in await board.recv():
                    pass

            await asyncio.wait_for(the_need_arrives(), timeout=2)
            assert time.monotonic() - sent_at < 2
    except BaseException:
        for worker in workers:
            sys.stderr.write(worker.output()[-4000:])
        raise
    finally:
        for worker in workers:
            worker.stop()
