"""Two real server processes share live updates through Redis: a board connected to worker A
sees a need posted through worker B within two seconds. Worker A runs uvicorn as production does
(deploy/commonground@.service), worker B Daphne: both servers work, and together.

Needs the production stack (DATABASE_URL on PostgreSQL and REDIS_URL), as CI runs it."""

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import websockets
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

from sessions.enums import Phase
from tests.factories import LiveSessionFactory

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(
        not (
            settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
            and settings.REDIS_URL
        ),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), as in CI",
    ),
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _test_database_url() -> str:
    db = connection.settings_dict  # NAME is pytest-django's test database here
    user = quote(db["USER"] or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


SERVERS = {
    # As deploy/commonground@.service starts them, on a TCP port instead of a unix socket.
    "uvicorn": ["uvicorn", "--no-access-log", "--no-proxy-headers", "--lifespan", "off"]
    + ["--ws", "websockets-sansio", "--host", "127.0.0.1", "--port"],
    "daphne": ["daphne", "--access-log", "/dev/null", "-b", "127.0.0.1", "-p"],
}


def _start_worker(server: str, port: int, env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", *SERVERS[server], str(port), "commonground.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def _wait_until_serving(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while True:
            assert process.poll() is None, "the worker exited"
            try:
                response = await client.get(f"http://127.0.0.1:{port}/join/")
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the worker did not start"
            await asyncio.sleep(0.2)


async def test_a_board_on_worker_a_sees_a_need_posted_on_worker_b():
    session = await database_sync_to_async(LiveSessionFactory)(phase=Phase.NEEDS)
    code = session.code
    port_a, port_b = _free_port(), _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "commonground.test_settings",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_LAYER_PREFIX": f"cg-two-workers-{uuid.uuid4().hex[:8]}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    logs = [tempfile.TemporaryFile() for _ in range(2)]  # noqa: SIM115 - closed in finally
    workers = [
        _start_worker("uvicorn", port_a, env, logs[0]),
        _start_worker("daphne", port_b, env, logs[1]),
    ]
    try:
        await asyncio.gather(
            _wait_until_serving(port_a, workers[0]), _wait_until_serving(port_b, workers[1])
        )
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
        for log in logs:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
        raise
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        for log in logs:
            log.close()
