"""WebSocket consumers: they join a group, forward pre-rendered fragments, and send a snapshot
to a screen that reconnects having missed something. They never write.

Asynchronous on purpose: forwarding a fragment is pure I/O, and a synchronous consumer pays
two thread hops per message through one shared thread, which serialised every socket of a
worker (bench/fanout.py measured p95 in seconds at 100 clients). Only connect and resume
touch the database, through database_sync_to_async.

Screens do not take a channel of their own: the worker listens to each group once
(sessions.live.fanout) and hands each update to each of its screens: written to the socket there
and then when nothing is ahead of it (the usual case), else put in the screen's outbox, which
one task per screen writes in order."""

import asyncio
import logging
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext as _

from sessions.identity import participant_for_scope
from sessions.live import groups, render, snapshots
from sessions.live.fanout import local_fanout
from sessions.live.outages import OUTAGES
from sessions.live.wire import Wire
from sessions.models import LiveSession
from sessions.permissions import plausible_code

MESSAGES_PER_CONNECTION = 50  # a screen sends one "resume" per (re)connect
# A screen resumes once per (re)connect; resumes closer together than this are not answered
# again (each answer may be a whole snapshot).
RESUME_INTERVAL_SECONDS = 1.0
# Updates waiting for a screen that does not read them (a phone in a dead spot). Past this the
# socket is closed: the screen reconnects and gets one snapshot instead of the backlog.
OUTBOX_LIMIT = 100
CLOSE_TOO_SLOW = 4008
# The database or the channel layer is unreachable: "try again later". htmx's WebSocket
# extension reconnects after a backoff on this code, and the screen polls meanwhile.
CLOSE_TRY_AGAIN = 1013
CLOSE_FLOODED = 4429

logger = logging.getLogger(__name__)


class _Unfinished:
    """A send that began in ``deliver`` and suspended (the server waits for a paused transport,
    a screen that does not read, to drain): awaiting this runs the rest of it, in the writer's
    task, ahead of the updates queued after it."""

    __slots__ = ("send", "waiting")

    def __init__(self, send, waiting) -> None:
        self.send = send  # the coroutine, suspended on ``waiting``
        self.waiting = waiting

    def close(self) -> None:
        self.send.close()

    def __await__(self):
        send, waiting = self.send, self.waiting
        while True:
            try:
                value = yield waiting
            except GeneratorExit:
                send.close()
                raise
            except BaseException as exc:  # cancelled meanwhile: the send is cancelled too
                try:
                    waiting = send.throw(exc)
                except StopIteration as done:
                    return done.value
                continue
            try:
                waiting = send.send(value)
            except StopIteration as done:
                return done.value


class LiveConsumer(AsyncWebsocketConsumer):
    audience = groups.BOARD
    channel_layer_alias = None  # updates come through sessions.live.fanout, one channel per worker
    closing = False
    writing = False  # the writer task holds an update (or the rest of one) it has not written
    wire: Wire | None = None  # the socket, written to directly (sessions.live.wire)

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        self.live_session = (
            await database_sync_to_async(LiveSession.objects.filter(code=code).first)()
            if plausible_code(code)
            else None
        )
        if self.live_session is None or not await database_sync_to_async(self.allowed)():
            await self.close(code=4403)
            return
        self.language = groups.screen_language(self.scope)
        self.group = groups.group_name(self.live_session.pk, self.audience, self.language)
        self.received = 0
        self.last_resume = float("-inf")
        self.outbox: asyncio.Queue[str | _Unfinished] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        self.closing = False
        # Nothing is written before the accept: what comes until then waits in the outbox.
        self.writing = True
        # A snapshot and the updates are written one at a time, in order: an update that
        # arrives while a snapshot is rendered goes out after it, never before.
        self.send_lock = asyncio.Lock()
        # Subscribe before any snapshot, so no update can fall in between.
        await local_fanout().join(self.group, id(self), self)
        await self.accept()
        self.wire = Wire.of(self.base_send)
        self.writing = False
        self.writer = asyncio.ensure_future(self.write_outbox())

    async def websocket_connect(self, message: dict) -> None:
        try:
            await super().websocket_connect(message)
        except OUTAGES:
            # Accepted first: a close code reaches the screen only on an open socket.
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN)

    async def websocket_receive(self, message: dict) -> None:
        try:
            await super().websocket_receive(message)
        except OUTAGES:
            await self.close_once(CLOSE_TRY_AGAIN)

    def allowed(self) -> bool:
        return True  # the board shows only what every participant of the session sees

    async def dispatch(self, message: dict) -> None:
        # Channels runs close_old_connections() through sync_to_async before every handler:
        # a hop through the one shared sync thread per message per socket, which took a third
        # of a worker's time at 1,000 screens (py-spy during bench/fanout.py). Forwarding a
        # fragment touches no database, and every handler that does goes through
        # database_sync_to_async, which closes stale connections itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def close_once(self, code: int) -> None:
        """Close the socket, once: messages already on their way keep arriving until the client
        sees the close, and a second close (or a send) after the first is an error the server
        logs with a traceback, for every socket that floods."""
        if self.closing:
            return
        self.closing = True
        await self.close(code=code)

    def layer_lost(self) -> None:
        """The worker's channel layer failed: updates meanwhile are lost to this screen, so it
        is told to try again; it reconnects and resumes, and gets what it missed."""
        asyncio.ensure_future(self.close_once(CLOSE_TRY_AGAIN))

    def deliver(self, html: str) -> None:
        """Take an update for this screen (called by the worker's fan-out, once per update).

        Written to the socket here and now when nothing is ahead of it (no update waiting, no
        snapshot being sent): the server's send frames and writes it without suspending unless
        the socket's buffer is full. That skips, for each screen and update, a queue, a task
        switch and a lock, about half of a worker's time per socket at 5,000 screens (py-spy
        during bench/fanout.py; bench/fanout_inprocess.py). Otherwise it waits in the outbox,
        in order, for the writer task."""
        if self.writing or self.send_lock.locked() or not self.outbox.empty():
            try:
                self.outbox.put_nowait(html)
            except asyncio.QueueFull:
                asyncio.ensure_future(self.close_once(CLOSE_TOO_SLOW))
            return
        if self.closing:
            return
        # The update framed once for all the worker's screens, written as is (uvicorn wsproto).
        if self.wire is not None and self.wire.write(html):
            return
        # Straight to the server's send: the hottest line of a worker with thousands of
        # screens (bench/fanout.py), so without AsyncWebsocketConsumer.send's layers.
        send = self.base_send({"type": "websocket.send", "text": html})
        try:
            waiting = send.send(None)
        except StopIteration:
            return  # written
        except OSError:
            return  # the socket is gone (ASGI: send raises an OSError); its disconnect follows
        # The socket's buffer is full: the rest of this send goes first in the outbox, and
        # what comes meanwhile waits behind it (the outbox is empty: it cannot be full).
        self.outbox.put_nowait(_Unfinished(send, waiting))

    async def write_outbox(self) -> None:
        while True:
            item = await self.outbox.get()
            self.writing = True
            try:
                async with self.send_lock:
                    if isinstance(item, _Unfinished):
                        if self.closing:
                            item.close()
                        else:
                            await item
                    elif not self.closing:
                        await self.base_send({"type": "websocket.send", "text": item})
            finally:
                self.writing = False

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "writer"):
            self.writer.cancel()
        if hasattr(self, "group"):
            await local_fanout().leave(self.group, id(self))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        self.received += 1
        if self.received > MESSAGES_PER_CONNECTION:
            # One line per flooding socket, without its address (the app logs none).
            logger.warning(
                "A screen sent more than %d messages on one connection: closed (%d).",
                MESSAGES_PER_CONNECTION,
                CLOSE_FLOODED,
            )
            await self.close_once(CLOSE_FLOODED)
            return
        try:
            message = groups.parse_client_message(text_data)
        except ValueError:
            with translation.override(self.language):
                error = render.error_fragment(
                    _("The screen sent a message the server does not understand.")
                )
            await self.send(text_data=error)
            return
        now = time.monotonic()
        if now - self.last_resume < RESUME_INTERVAL_SECONDS:
            return
        self.last_resume = now
        async with self.send_lock:
            snapshot = await database_sync_to_async(self.snapshot_if_behind)(
                message["since"], whole=message["whole"]
            )
            if snapshot and not self.closing:
                await self.send(text_data=snapshot)

    def snapshot_if_behind(self, since: int, *, whole: bool = False) -> str:
        """The whole live state when the screen's sequence number is not the session's, or
        when the screen asks for it (``whole``: back from a drop)."""
        live_session = LiveSession.objects.get(pk=self.live_session.pk)
        if since == live_session.sequence and not whole:
            return ""
        with translation.override(self.language):
            return snapshots.snapshot(live_session, self.audience)


class BoardConsumer(LiveConsumer):
    audience = groups.BOARD


class ParticipantConsumer(LiveConsumer):
    """A participant's phone: only for someone who joined this session on this device."""

    audience = groups.PARTICIPANTS

    def allowed(self) -> bool:
        return participant_for_scope(self.live_session, self.scope) is not None
