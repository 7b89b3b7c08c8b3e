"""The door, live (issue 21): the dashboard listens on the board's socket and refreshes its
regions on every message, so a join must reach that socket and the door panel, read again,
must count it; closing the door must reach every board at once, in words."""

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from sessions import services
from sessions.enums import Phase
from sessions.live import groups, render
from sessions.live.change import Change
from sessions.live.kinds import DoorChanged
from sessions.live.routing import websocket_urlpatterns
from tests.factories import LiveSessionFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

router = URLRouter(websocket_urlpatterns)


@database_sync_to_async
def session_and_facilitator():
    live_session = LiveSessionFactory(code="K7HQ4P", phase=Phase.LOBBY)
    user = get_user_model().objects.create_user("fac", password="pw")
    live_session.facilitators.add(user)
    return live_session, user


@database_sync_to_async
def door_panel(live_session, user) -> str:
    """What the dashboard reads when its socket says something changed."""
    client = Client()
    client.force_login(user)
    response = client.get(
        reverse("sessions:dashboard", args=[live_session.code]),
        {"region": "door"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    return response.text


async def test_the_dashboards_join_rate_updates_live(db):
    live_session, user = await session_and_facilitator()
    dashboard_socket = WebsocketCommunicator(router, f"/ws/s/{live_session.code}/board/")
    connected, _ = await dashboard_socket.connect()
    assert connected
    before = await door_panel(live_session, user)

    await database_sync_to_async(services.join_session)(
        live_session=live_session, presence="room", agreed=True
    )

    message = await dashboard_socket.receive_from(timeout=2)  # refreshes the dashboard's regions
    assert 'id="live-seq" data-seq="1"' in message
    after = await door_panel(live_session, user)
    assert 'Joins in the last minute</dt><dd data-value="0">0' in before
    assert 'Joins in the last minute</dt><dd data-value="1">1' in after
    await dashboard_socket.disconnect()


async def test_closing_the_door_reaches_every_board_in_words(db):
    live_session, user = await session_and_facilitator()
    board = WebsocketCommunicator(router, f"/ws/s/{live_session.code}/board/")
    connected, _ = await board.connect()
    assert connected

    await database_sync_to_async(services.set_door)(
        live_session=live_session, actor=user, closed=True
    )

    message = await board.receive_from(timeout=2)
    assert 'id="board-door"' in message and 'hx-swap-oob="true"' in message
    assert "Joining is closed for now" in message
    # The lobby's prompt no longer tells the room to join with a code the door refuses.
    assert 'id="phase-banner"' in message
    assert "Welcome! We start in a moment." in message
    assert "Join with the code" not in message

    await database_sync_to_async(services.set_door)(
        live_session=live_session, actor=user, closed=False
    )

    reopened = await board.receive_from(timeout=2)
    assert 'id="board-door" class="board-door" role="status" hidden' in reopened
    assert "Joining is closed for now" not in reopened
    assert "Welcome! Join with the code or QR code." in reopened
    await board.disconnect()


@database_sync_to_async
def participants_update(live_session, change) -> str:
    messages = dict(render.render_messages(live_session.pk, change))
    return messages[groups.group_name(live_session.pk, groups.PARTICIPANTS, "en")]["html"]


async def test_phones_in_the_lobby_stop_being_told_to_join_when_the_door_closes(db):
    """The phones' banner follows the board's region declaration: the door redraws it too."""
    live_session, user = await session_and_facilitator()
    await database_sync_to_async(services.set_door)(
        live_session=live_session, actor=user, closed=True
    )

    closed = await participants_update(
        live_session, DoorChanged(live_session_id=live_session.pk, closed=True).facts()
    )
    a_vote = await participants_update(live_session, Change.of(tallies=[1]))

    assert 'id="phase-banner"' in closed and "Welcome! We start in a moment." in closed
    assert "Join with the code" not in closed
    assert 'id="phase-banner"' not in a_vote  # nothing else redraws it
