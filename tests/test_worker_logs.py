"""No client address in anything a server writes, at any log level: a real uvicorn worker with
the shipped flags, and Daphne's runserver as `make run` starts it, serve pages, a refusal, a
sign-in and WebSockets (accepted, refused, unknown path, foreign origin) to a client at
127.0.0.2, with LOG_LEVEL at DEBUG; their whole output (stdout and stderr) never names it, and
no line is printed twice."""

import asyncio
import contextlib

import httpx
import pytest
import websockets
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from websockets.exceptions import InvalidStatus

from tests.factories import LiveSessionFactory
from tests.servers import Worker, worker_env

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
CLIENT_ADDRESS = "127.0.0.2"  # loopback, but not the address the worker listens on


@database_sync_to_async
def a_session_and_a_stranger():
    get_user_model().objects.create_user("stranger", password="a-long-password-1")
    return LiveSessionFactory(code="K7HQ4P")


async def websocket(worker: Worker, path: str, origin: str | None = None) -> None:
    with contextlib.suppress(InvalidStatus, websockets.ConnectionClosed):
        async with websockets.connect(
            f"ws://127.0.0.1:{worker.port}{path}",
            origin=origin or worker.url,
            local_addr=(CLIENT_ADDRESS, 0),
            open_timeout=10,
        ) as socket:
            await socket.send('{"type": "resume", "since": 1000000}')
            await asyncio.wait_for(socket.recv(), timeout=10)


@pytest.mark.parametrize("server", ["uvicorn", "runserver"])
async def test_a_server_logs_no_client_address_at_any_level(server):
    session = await a_session_and_a_stranger()
    worker = getattr(Worker, server)(worker_env(LOG_LEVEL="DEBUG"))
    try:
        await worker.wait_until_serving()
        transport = httpx.AsyncHTTPTransport(local_address=CLIENT_ADDRESS)
        async with httpx.AsyncClient(base_url=worker.url, transport=transport) as browser:
            for path in ("/", "/taxonomy/", "/join/K7HQ4P/", "/no/such/page/"):
                await browser.get(path)
            await browser.get("/accounts/login/")
            token = browser.cookies["csrftoken"]
            signed_in = await browser.post(
                "/accounts/login/",
                data={"username": "stranger", "password": "a-long-password-1"},
                headers={"X-CSRFToken": token},
            )
            assert signed_in.status_code == 302
            refused = await browser.get(f"/facilitate/{session.code}/")
            assert refused.status_code == 403
        await websocket(worker, f"/ws/s/{session.code}/board/")  # accepted
        await websocket(worker, "/ws/s/NOPE42/board/")  # no such session: refused
        await websocket(worker, "/ws/nowhere/")  # no such path
        await websocket(worker, f"/ws/s/{session.code}/board/", origin="http://evil.example")
    finally:
        worker.stop()
    output = worker.output()

    assert "Forbidden (Permission denied): /facilitate/K7HQ4P/" in output  # it does log
    assert "Traceback" not in output
    assert CLIENT_ADDRESS not in output, output
    request_lines = [line for line in output.splitlines() if line.startswith("HTTP GET")]
    assert len(request_lines) == len(set(request_lines)), output  # none printed twice
    if server == "runserver":
        assert "HTTP GET /taxonomy/ 200" in output  # it does log each request, without address
