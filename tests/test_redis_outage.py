"""Redis down: writes still succeed and are saved, the failed push is logged (not raised),
rate limits fail open with a warning, polling still serves the screens, and live updates
resume once Redis is back. Runs its own redis-server on a free port, stopped and restarted."""

import logging
import shutil
from contextlib import contextmanager

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from sessions.enums import Phase
from sessions.identity import participant_cookie_name
from sessions.live.routing import websocket_urlpatterns
from sessions.models import Need
from tests.factories import LiveSessionFactory, ParticipantFactory
from tests.servers import RedisServer, free_port

pytestmark = [
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]


LAYER_BACKENDS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}


@contextmanager
def redis_stack(port: int, backend: str):
    url = f"redis://127.0.0.1:{port}/0"
    layers = {
        "default": {
            "BACKEND": LAYER_BACKENDS[backend],
            "CONFIG": {"hosts": [url], "prefix": f"cg-outage-{port}"},
        }
    }
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    channel_layers.backends.clear()
    try:
        with override_settings(CHANNEL_LAYERS=layers, CACHES=caches, LIVE_COALESCE_SECONDS=0):
            channel_layers.backends.clear()
            yield
    finally:
        channel_layers.backends.clear()
        cache.close()


@pytest.mark.parametrize("backend", sorted(LAYER_BACKENDS))
async def test_writes_survive_a_redis_outage_and_live_updates_resume(caplog, backend):
    port = free_port()
    server = RedisServer(port)
    session = await database_sync_to_async(LiveSessionFactory)(code="K7HQ4P", phase=Phase.NEEDS)
    participant = await database_sync_to_async(ParticipantFactory)(live_session=session)
    client = Client()
    client.cookies[participant_cookie_name(session)] = participant.token
    post_url = reverse("sessions:post_need", args=[session.code])

    try:
        with redis_stack(port, backend):
            server.start()
            server.stop()  # Redis goes away during the session

            with caplog.at_level(logging.WARNING):
                response = await database_sync_to_async(client.post)(
                    post_url, {"text": "Saved anyway"}
                )
                polled = await database_sync_to_async(client.get)(
                    reverse("sessions:live", args=[session.code]), {"audience": "board"}
                )

            assert response.status_code == 302
            assert await database_sync_to_async(Need.objects.filter(text="Saved anyway").exists)()
            messages = [record.getMessage() for record in caplog.records]
            assert any("cache is unavailable" in m for m in messages), messages
            assert any("on_commit" in m or "not pushed" in m for m in messages), messages
            # Screens without a live connection fall back to polling, which needs no Redis.
            assert polled.status_code == 200 and "Saved anyway" in polled.text

            server.start()  # Redis is back, on the same port
            board = WebsocketCommunicator(
                URLRouter(websocket_urlpatterns), f"/ws/s/{session.code}/board/"
            )
            ok, _ = await board.connect()
            assert ok
            response = await database_sync_to_async(client.post)(post_url, {"text": "Live again"})
            assert response.status_code == 302
            message = await board.receive_from(timeout=2)
            assert "Live again" in message
            await board.disconnect()
    finally:
        server.stop()
