"""A room of screens resuming at once costs one render of the session's state, not one each
(sessions.live.snapshots), and a screen cannot make the server render again and again."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from sessions import services
from sessions.enums import Phase
from sessions.live import render
from sessions.live.routing import websocket_urlpatterns
from tests.factories import LiveSessionFactory, ParticipantFactory

router = URLRouter(websocket_urlpatterns)
RESUME = json.dumps({"type": "resume", "since": 0})


@pytest.fixture
def renders(monkeypatch):
    """How many whole-state renders the server made."""
    counted = []
    original = render.render_snapshot

    def counting(live_session, audience):
        counted.append((live_session.pk, live_session.sequence, audience))
        return original(live_session, audience)

    monkeypatch.setattr(render, "render_snapshot", counting)
    return counted


@database_sync_to_async
def session_with_a_need():
    session = LiveSessionFactory(code="K7HQ4P", phase=Phase.NEEDS)
    services.post_need(participant=ParticipantFactory(live_session=session), text="Safer feeds")
    session.refresh_from_db()
    return session


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_fifty_screens_resuming_at_once_cost_one_render(renders):
    session = await session_with_a_need()
    boards = [WebsocketCommunicator(router, f"/ws/s/{session.code}/board/") for _ in range(50)]
    for board in boards:
        assert (await board.connect())[0]

    for board in boards:
        await board.send_to(text_data=RESUME)
    snapshots = [await board.receive_from(timeout=5) for board in boards]

    assert all("Safer feeds" in snapshot for snapshot in snapshots)
    assert len(set(snapshots)) == 1
    assert renders == [(session.pk, session.sequence, "board")]
    for board in boards:
        await board.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_screen_resuming_again_and_again_is_answered_once(renders):
    session = await session_with_a_need()
    board = WebsocketCommunicator(router, f"/ws/s/{session.code}/board/")
    assert (await board.connect())[0]

    for _ in range(10):
        await board.send_to(text_data=RESUME)

    assert "Safer feeds" in await board.receive_from(timeout=5)
    assert await board.receive_nothing(timeout=0.3)
    assert len(renders) == 1
    await board.disconnect()


@pytest.mark.django_db(transaction=True)  # the sequence moves on after each write's commit
def test_polling_from_behind_reuses_the_snapshot_until_the_session_changes(renders):
    session = LiveSessionFactory(code="K7HQ4P", phase=Phase.NEEDS)
    url = reverse("sessions:live", args=[session.code]) + "?audience=board&since=0"
    author = ParticipantFactory(live_session=session)
    services.post_need(participant=author, text="First")

    first = [Client().get(url) for _ in range(5)]
    services.post_need(participant=author, text="Second")
    second = Client().get(url)

    assert [response.status_code for response in first] == [200] * 5
    assert "Second" in second.text
    assert len(renders) == 2  # one per sequence number, not one per poll


@pytest.mark.django_db(transaction=True)
def test_no_kept_snapshot_holds_what_someone_erased_since(renders):
    from sessions.live import snapshots

    session = LiveSessionFactory(code="K7HQ4P", phase=Phase.NEEDS)
    url = reverse("sessions:live", args=[session.code]) + "?audience=board&since=0"
    author = ParticipantFactory(live_session=session)
    services.post_need(participant=author, text="Zebrafinch appeals")
    assert "Zebrafinch" in Client().get(url).text

    services.erase_participant(participant=author)
    assert "Zebrafinch" not in Client().get(url).text

    assert not any("Zebrafinch" in html for html in snapshots._rendered.values())
