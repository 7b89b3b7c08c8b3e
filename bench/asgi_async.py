"""Bench-only ASGI application: the app's HTTP side unchanged, its WebSocket consumers ported
to AsyncWebsocketConsumer (bench/fanout.py --consumers async).

An experiment, not the app: it shows what forwarding a pushed fragment costs without the two
thread hops a synchronous consumer pays per message (dispatch into the sync thread, then
``send`` back to the event loop). Same groups, same checks, same messages."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonground.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from sessions import broadcast, services  # noqa: E402
from sessions.consumers import MESSAGES_PER_CONNECTION  # noqa: E402
from sessions.models import LiveSession  # noqa: E402
from sessions.permissions import participant_cookie_name  # noqa: E402


class AsyncLiveConsumer(AsyncWebsocketConsumer):
    audience = broadcast.BOARD

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        self.live_session = await database_sync_to_async(
            LiveSession.objects.filter(code=code).first
        )()
        if self.live_session is None or not await database_sync_to_async(self.allowed)():
            await self.close(code=4403)
            return
        self.group = broadcast.group_name(self.live_session.pk, self.audience)
        self.received = 0
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    def allowed(self) -> bool:
        return True

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        self.received += 1
        if self.received > MESSAGES_PER_CONNECTION:
            await self.close(code=4429)
            return
        try:
            message = broadcast.parse_client_message(text_data)
        except ValueError:
            await self.send(
                text_data=broadcast.error_fragment(
                    _("The screen sent a message the server does not understand.")
                )
            )
            return
        snapshot = await database_sync_to_async(self._snapshot)(message["since"])
        if snapshot:
            await self.send(text_data=snapshot)

    def _snapshot(self, since: int) -> str:
        live_session = LiveSession.objects.get(pk=self.live_session.pk)
        if since == live_session.sequence:
            return ""
        return broadcast.render_update(live_session, broadcast.Change.everything(), self.audience)

    async def live_update(self, event: dict) -> None:
        await self.send(text_data=event["html"])


class AsyncBoardConsumer(AsyncLiveConsumer):
    audience = broadcast.BOARD


class AsyncParticipantConsumer(AsyncLiveConsumer):
    audience = broadcast.PARTICIPANTS

    def allowed(self) -> bool:
        token = self.scope.get("cookies", {}).get(participant_cookie_name(self.live_session))
        return services.participant_for_token(self.live_session, token) is not None


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        path("ws/s/<str:code>/board/", AsyncBoardConsumer.as_asgi()),
                        path("ws/s/<str:code>/participant/", AsyncParticipantConsumer.as_asgi()),
                    ]
                )
            )
        ),
    }
)
