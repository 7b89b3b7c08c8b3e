"""Fixtures of the chaos suite: services each test owns and breaks, and workers on them."""

import shutil

import pytest
import pytest_asyncio
from django.db import connection

from tests.chaos.room import PROXIED_POOL_TIMEOUT, Room
from tests.servers import RedisServer, TcpProxy, Worker, database_url, worker_env


@pytest.fixture
def owned_redis():
    """A redis-server of this test's own: never the shared one."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database_proxy(transactional_db):
    """A TCP proxy of this test's own between the workers and PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL), as in CI")
    settings = connection.settings_dict
    proxy = TcpProxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    proxy.start()
    yield proxy
    proxy.close()


@pytest.fixture
def start_worker():
    """Start a uvicorn worker (the shipped flags) with extra environment variables. Workers
    are stopped afterwards; what they wrote is shown if the test fails."""
    workers: list[Worker] = []

    async def start(**env: str) -> Worker:
        worker = Worker.uvicorn(worker_env(**env))
        workers.append(worker)
        await worker.wait_until_serving()
        return worker

    yield start
    for worker in workers:
        worker.stop()
        print(f"--- worker on port {worker.port}:\n{worker.output()[-6000:]}")


@pytest_asyncio.fixture
async def room(transactional_db):
    """A live session in the needs phase with participants ready to post (tests.chaos.room)."""
    room = await Room.open()
    yield room
    await room.close()


@pytest_asyncio.fixture
async def proxied_worker(database_proxy, owned_redis, start_worker):
    """A worker that reaches PostgreSQL through the test's proxy, waiting at most
    PROXIED_POOL_TIMEOUT seconds for a pooled connection, on the test's own Redis."""
    return await start_worker(
        DATABASE_URL=database_url(port=database_proxy.port),
        DB_POOL_TIMEOUT=str(PROXIED_POOL_TIMEOUT),
        REDIS_URL=owned_redis.url,
    )
