"""WebSocket consumers: they join a group, forward pre-rendered fragments, and send a snapshot
to a screen that reconnects having missed something. They never write."""

from asgiref.sync import async_to_sync
from channels.generic.websocket import WebsocketConsumer
from django.utils.translation import gettext as _

from sessions import broadcast, services
from sessions.models import LiveSession
from sessions.permissions import participant_cookie_name, plausible_code

MESSAGES_PER_CONNECTION = 50  # a screen sends one "resume" per (re)connect


class LiveConsumer(WebsocketConsumer):
    audience = broadcast.BOARD

    def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        self.live_session = (
            LiveSession.objects.filter(code=code).first() if plausible_code(code) else None
        )
        if self.live_session is None or not self.allowed():
            self.close(code=4403)
            return
        self.group = broadcast.group_name(self.live_session.pk, self.audience)
        self.received = 0
        # Subscribe before any snapshot, so no update can fall in between.
        async_to_sync(self.channel_layer.group_add)(self.group, self.channel_name)
        self.accept()

    def allowed(self) -> bool:
        return True  # the board shows only what every participant of the session sees

    def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            async_to_sync(self.channel_layer.group_discard)(self.group, self.channel_name)

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.received += 1
        if self.received > MESSAGES_PER_CONNECTION:
            self.close(code=4429)
            return
        try:
            message = broadcast.parse_client_message(text_data)
        except ValueError:
            self.send(
                text_data=broadcast.error_fragment(
                    _("The screen sent a message the server does not understand.")
                )
            )
            return
        live_session = LiveSession.objects.get(pk=self.live_session.pk)
        if message["since"] != live_session.sequence:
            self.send(
                text_data=broadcast.render_update(
                    live_session, broadcast.Change.everything(), self.audience
                )
            )

    def live_update(self, event: dict) -> None:  # type "live.update"
        self.send(text_data=event["html"])


class BoardConsumer(LiveConsumer):
    audience = broadcast.BOARD


class ParticipantConsumer(LiveConsumer):
    """A participant's phone: only for someone who joined this session on this device."""

    audience = broadcast.PARTICIPANTS

    def allowed(self) -> bool:
        token = self.scope.get("cookies", {}).get(participant_cookie_name(self.live_session))
        return services.participant_for_token(self.live_session, token) is not None
