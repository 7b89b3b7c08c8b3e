"""A live screen during an outage gets a close code it can act on, never a server error: the
database (or the channel layer) unreachable when it connects or resumes closes its socket
with 1013 "try again later", on which the screen polls and htmx reconnects after a backoff."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from commonground.asgi import application
from sessions.live import consumers
from sessions.models import LiveSession
from tests.factories import LiveSessionFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
SAME_SITE = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


def board(code: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/s/{code}/board/", headers=SAME_SITE)


async def assert_told_to_try_again(screen: WebsocketCommunicator) -> None:
    assert await screen.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": consumers.CLOSE_TRY_AGAIN,
    }


def database_gone(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


async def test_connecting_while_the_database_is_down_closes_with_try_again(monkeypatch):
    session = await database_sync_to_async(LiveSessionFactory)()
    monkeypatch.setattr(LiveSession.objects, "filter", database_gone)
    screen = board(session.code)

    accepted, _ = await screen.connect()

    assert accepted  # so that the close code reaches the screen
    await assert_told_to_try_again(screen)
    await screen.wait()


async def test_resuming_while_the_database_is_down_closes_with_try_again(monkeypatch):
    session = await database_sync_to_async(LiveSessionFactory)()
    screen = board(session.code)
    accepted, _ = await screen.connect()
    assert accepted
    monkeypatch.setattr(consumers.LiveConsumer, "snapshot_if_behind", database_gone)

    await screen.send_to(text_data='{"type": "resume", "since": 5}')

    await assert_told_to_try_again(screen)
    await screen.disconnect()


async def test_connecting_while_the_channel_layer_is_down_closes_with_try_again(monkeypatch):
    session = await database_sync_to_async(LiveSessionFactory)()

    class LayerDown:
        async def join(self, *args):
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

        async def leave(self, *args):
            pass

    monkeypatch.setattr(consumers, "local_fanout", LayerDown)
    screen = board(session.code)

    accepted, _ = await screen.connect()

    assert accepted
    await assert_told_to_try_again(screen)
    await screen.wait()
