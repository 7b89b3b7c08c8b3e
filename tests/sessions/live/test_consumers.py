import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from commonground.asgi import application
from sessions import services
from sessions.enums import Phase
from sessions.identity import participant_cookie_name
from sessions.live.routing import websocket_urlpatterns
from sessions.models import LiveSession
from tests.factories import LiveSessionFactory, MappingFactory, NeedFactory, ParticipantFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

router = URLRouter(websocket_urlpatterns)
needs_redis = pytest.mark.skipif(
    not django_settings.REDIS_URL,
    reason="coalescing applies to the Redis layer (production); CI runs with REDIS_URL",
)


def board_socket(code: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(router, f"/ws/s/{code}/board/")


async def connected(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    ok, _ = await communicator.connect()
    assert ok
    return communicator


@database_sync_to_async
def make_session_with_participant(code="K7HQ4P"):
    session = LiveSessionFactory(code=code, phase=Phase.NEEDS)
    return session, ParticipantFactory(live_session=session)


async def test_a_posted_need_reaches_a_connected_board(db):
    session, participant = await make_session_with_participant()
    board = await connected(board_socket(session.code))

    need = await database_sync_to_async(services.post_need)(
        participant=participant, text="Visibility without outing"
    )

    message = await board.receive_from(timeout=2)
    assert f'id="need-{need.pk}"' in message
    assert "Visibility without outing" in message
    assert 'id="live-seq" data-seq="1"' in message
    await board.disconnect()


async def test_another_sessions_board_receives_nothing(db):
    session, participant = await make_session_with_participant()
    await database_sync_to_async(LiveSessionFactory)(code="OTHER1")
    other_board = await connected(board_socket("OTHER1"))

    await database_sync_to_async(services.post_need)(participant=participant, text="Private")

    assert await other_board.receive_nothing(timeout=0.5)
    await other_board.disconnect()


async def test_a_rolled_back_write_pushes_nothing(db):
    session, participant = await make_session_with_participant()
    await database_sync_to_async(LiveSession.objects.filter(pk=session.pk).update)(
        phase=Phase.VOTING
    )
    board = await connected(board_socket(session.code))

    with pytest.raises(services.PhaseClosed):
        await database_sync_to_async(services.post_need)(participant=participant, text="Late")

    assert await board.receive_nothing(timeout=0.5)
    await board.disconnect()


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        json.dumps({"type": "resume"}),
        json.dumps({"type": "rm -rf"}),
        json.dumps([1]),
        json.dumps({"type": "resume", "since": -1}),
        json.dumps({"type": "resume", "since": "1"}),
        json.dumps({"type": "resume", "since": 0, "whole": "yes"}),
    ],
)
async def test_a_bad_message_gets_an_error_not_a_crash(db, payload):
    session, _ = await make_session_with_participant()
    board = await connected(board_socket(session.code))

    await board.send_to(text_data=payload)

    reply = await board.receive_from(timeout=2)
    assert 'id="live-error"' in reply and "does not understand" in reply
    # Still connected and still useful.
    await board.send_to(text_data=json.dumps({"type": "resume", "since": 0}))
    assert await board.receive_nothing(timeout=0.3)
    await board.disconnect()


async def test_binary_frames_are_refused_politely(db):
    session, _ = await make_session_with_participant()
    board = await connected(board_socket(session.code))

    await board.send_to(bytes_data=b"\xff\xfe\x00")

    assert "does not understand" in await board.receive_from(timeout=2)
    await board.disconnect()


async def test_reconnecting_with_an_old_sequence_gets_a_snapshot(db):
    session, participant = await make_session_with_participant()
    await database_sync_to_async(services.post_need)(participant=participant, text="Missed me")
    board = await connected(board_socket(session.code))

    await board.send_to(text_data=json.dumps({"type": "resume", "since": 0}))

    snapshot = await board.receive_from(timeout=2)
    assert 'id="live-seq" data-seq="1"' in snapshot
    assert 'id="needs-list" class="needs-list list-unstyled" hx-swap-oob="true"' in snapshot
    assert "Missed me" in snapshot
    # A screen that is up to date gets nothing more.
    await board.send_to(text_data=json.dumps({"type": "resume", "since": 1}))
    assert await board.receive_nothing(timeout=0.3)
    await board.disconnect()


async def test_a_screen_back_from_a_drop_gets_the_whole_state_when_it_asks(db):
    """Its sequence number may be current while it missed a push (the next one moved the
    number on): asked for the whole state, the server sends it anyway."""
    session, participant = await make_session_with_participant()
    await database_sync_to_async(services.post_need)(participant=participant, text="Shown")
    board = await connected(board_socket(session.code))

    await board.send_to(text_data=json.dumps({"type": "resume", "since": 1, "whole": True}))

    snapshot = await board.receive_from(timeout=2)
    assert 'id="live-seq" data-seq="1"' in snapshot
    assert "Shown" in snapshot
    await board.disconnect()


async def test_participant_socket_requires_the_participants_cookie(db):
    session, participant = await make_session_with_participant()
    stranger = WebsocketCommunicator(router, f"/ws/s/{session.code}/participant/")
    stranger.scope["cookies"] = {}
    ok, _ = await stranger.connect()
    assert not ok

    phone = WebsocketCommunicator(router, f"/ws/s/{session.code}/participant/")
    phone.scope["cookies"] = {participant_cookie_name(session): participant.token}
    ok, _ = await phone.connect()
    assert ok
    await database_sync_to_async(services.post_need)(participant=participant, text="Mine")
    assert "Mine" in await phone.receive_from(timeout=2)
    await phone.disconnect()


async def test_a_vote_sends_phones_the_new_dot_totals_not_the_whole_card(db):
    session, participant = await make_session_with_participant()

    @database_sync_to_async
    def prepare():
        LiveSession.objects.filter(pk=session.pk).update(phase=Phase.VOTING)
        need = NeedFactory(live_session=session, author=participant, text="Appeals that work")
        return need, MappingFactory(live_session=session, need=need, author=participant)

    need, mapping = await prepare()
    phone = WebsocketCommunicator(router, f"/ws/s/{session.code}/participant/")
    phone.scope["cookies"] = {participant_cookie_name(session): participant.token}
    assert (await phone.connect())[0]
    board = await connected(board_socket(session.code))

    await database_sync_to_async(services.add_dot)(participant=participant, mapping=mapping)

    to_phone = await phone.receive_from(timeout=2)
    assert f'<span id="mapping-{mapping.pk}-dots" data-dots="1" hx-swap-oob="true">' in to_phone
    assert f'id="need-{need.pk}-dots"' in to_phone
    assert "Appeals that work" not in to_phone  # the card itself is not sent again
    assert len(to_phone) < 1000
    to_board = await board.receive_from(timeout=2)
    assert f'id="need-{need.pk}-dots"' in to_board
    assert 'id="board-grid"' in to_board  # a mapping's dots change the grid's heat
    await phone.disconnect()
    await board.disconnect()


@needs_redis
async def test_a_single_change_is_pushed_without_waiting_for_the_window(db, settings):
    settings.LIVE_COALESCE_SECONDS = 30
    session, participant = await make_session_with_participant()
    board = await connected(board_socket(session.code))

    await database_sync_to_async(services.post_need)(participant=participant, text="At once")

    assert "At once" in await board.receive_from(timeout=5)
    await board.disconnect()


async def test_unknown_session_socket_is_refused(db):
    ok, _ = await board_socket("NOPE42").connect()

    assert not ok


async def test_cross_site_websocket_is_refused_by_origin(db):
    session, _ = await make_session_with_participant()
    evil = WebsocketCommunicator(
        application, f"/ws/s/{session.code}/board/", headers=[(b"origin", b"https://evil.example")]
    )
    ok, _ = await evil.connect()
    assert not ok

    same_site = WebsocketCommunicator(
        application,
        f"/ws/s/{session.code}/board/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
    )
    ok, _ = await same_site.connect()
    assert ok
    await same_site.disconnect()


@needs_redis
async def test_a_burst_of_votes_is_coalesced_into_few_messages(db, settings):
    # A window long enough that a loaded machine still casts the ten votes within one or two
    # of them; merging, not stretching (test_coalescing.py).
    settings.LIVE_COALESCE_SECONDS = 1.0
    settings.LIVE_COALESCE_MAX_SECONDS = 1.0
    session, _ = await make_session_with_participant()

    @database_sync_to_async
    def prepare():
        LiveSession.objects.filter(pk=session.pk).update(
            phase=Phase.VOTING, dot_budget=50, dot_cap=50
        )
        need = NeedFactory(live_session=session, author=ParticipantFactory(live_session=session))
        return need, ParticipantFactory.create_batch(10, live_session=session)

    need, voters = await prepare()
    board = await connected(board_socket(session.code))

    @database_sync_to_async
    def burst():
        started = time.monotonic()
        for voter in voters:
            services.add_dot(participant=voter, need=need)
        return time.monotonic() - started

    burst_seconds = await burst()

    messages = []
    deadline = asyncio.get_running_loop().time() + 8
    while not any('data-dots="10"' in m for m in messages):
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, f"the tenth dot never reached the board: {len(messages)} messages"
        try:
            messages.append(await board.receive_from(timeout=remaining))
        except TimeoutError:
            continue
    # Until the pushes stop: a change committed just after a push went out comes one window
    # later, and must show the same final count.
    for _ in range(5):
        if await board.receive_nothing(timeout=1.5):
            break
        messages.append(await board.receive_from(timeout=2))
    # At most one render per window: the leading one, one per window the burst spanned, and
    # one for a change committed just after a push went out. Ten votes, ten pushes, without.
    assert len(messages) <= 3 + int(burst_seconds), (len(messages), burst_seconds)
    assert len(messages) < len(voters)
    assert 'data-dots="10"' in messages[-1]
    await board.disconnect()


async def test_each_screen_gets_live_updates_in_its_own_language(db):
    session, participant = await make_session_with_participant()
    english = await connected(board_socket(session.code))
    french = board_socket(session.code)
    french.scope["cookies"] = {django_settings.LANGUAGE_COOKIE_NAME: "fr"}
    await connected(french)
    browser_french = WebsocketCommunicator(
        router, f"/ws/s/{session.code}/board/", headers=[(b"accept-language", b"fr-CA,fr;q=0.9")]
    )
    await connected(browser_french)

    await database_sync_to_async(services.post_need)(participant=participant, text="Safety")

    in_english = await english.receive_from(timeout=2)
    assert "0 dots" in in_english and "pastille" not in in_english
    for screen in (french, browser_french):
        in_french = await screen.receive_from(timeout=2)
        assert "0 pastille" in in_french and "0 dots" not in in_french
        assert await screen.receive_nothing(timeout=0.2)  # one message, not one per language
        await screen.disconnect()
    await english.disconnect()


async def test_a_workers_screens_share_one_channel_of_their_group(db, monkeypatch):
    """The layer carries one message per worker, not one per screen (with the classic Redis
    layer, one push per member channel: django/channels_redis issues 62, 83, 98)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    added, discarded = [], []
    group_add, group_discard = layer.group_add, layer.group_discard

    async def spy_add(group, channel):
        added.append(channel)
        await group_add(group, channel)

    async def spy_discard(group, channel):
        discarded.append(channel)
        await group_discard(group, channel)

    monkeypatch.setattr(layer, "group_add", spy_add)
    monkeypatch.setattr(layer, "group_discard", spy_discard)
    session, participant = await make_session_with_participant()
    boards = [await connected(board_socket(session.code)) for _ in range(3)]

    need = await database_sync_to_async(services.post_need)(participant=participant, text="Care")

    for board in boards:
        assert f'id="need-{need.pk}"' in await board.receive_from(timeout=2)
    assert len(added) == 1
    for board in boards:
        await board.disconnect()
    assert discarded == added  # the last screen out leaves the group


def stop_reading(screen) -> asyncio.Event:
    """The server's send for ``screen`` waits, as for a socket whose buffer is full (a phone in a
    dead spot), until the returned event is set; a close still goes through."""
    drained = asyncio.Event()
    send = screen.base_send

    async def full_buffer_send(message):
        if message["type"] == "websocket.send":
            await drained.wait()
        await send(message)

    screen.base_send = full_buffer_send
    return drained


async def test_a_screen_that_stops_reading_is_closed_and_the_others_keep_up(db):
    from channels.layers import get_channel_layer

    from sessions.live.consumers import CLOSE_TOO_SLOW, OUTBOX_LIMIT
    from sessions.live.fanout import local_fanout
    from sessions.live.groups import BOARD, group_name

    session, _participant = await make_session_with_participant()
    stuck = await connected(board_socket(session.code))
    group = group_name(session.pk, BOARD, "en")
    (screen,) = local_fanout().screens(group)
    stop_reading(screen)
    reading = await connected(board_socket(session.code))

    # One update stuck in the server's send, OUTBOX_LIMIT waiting behind it, then one more.
    for number in range(OUTBOX_LIMIT + 2):
        await get_channel_layer().group_send(
            group, {"type": "live.update", "html": f"<p>{number}</p>", "seq": number}
        )

    for number in range(OUTBOX_LIMIT + 2):
        assert await reading.receive_from(timeout=2) == f"<p>{number}</p>"
    assert await stuck.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": CLOSE_TOO_SLOW,
    }
    await reading.disconnect()


async def test_an_update_is_written_as_it_is_delivered_when_nothing_is_ahead_of_it(db):
    """No queue, task or lock per screen per update when the socket takes it at once."""
    from sessions.live.fanout import local_fanout
    from sessions.live.groups import BOARD, group_name

    session, _participant = await make_session_with_participant()
    board = await connected(board_socket(session.code))
    (screen,) = local_fanout().screens(group_name(session.pk, BOARD, "en"))

    screen.deliver("<p>1</p>")
    screen.deliver("<p>2</p>")

    assert screen.outbox.empty()
    assert [board.output_queue.get_nowait()["text"] for _ in range(2)] == ["<p>1</p>", "<p>2</p>"]
    await board.disconnect()


async def test_updates_behind_a_send_that_waits_follow_it_in_order(db):
    """A socket whose buffer filled: the update caught in the server's send goes out first when
    it drains, then those that came meanwhile, then the socket takes them directly again."""
    from sessions.live.fanout import local_fanout
    from sessions.live.groups import BOARD, group_name

    session, _participant = await make_session_with_participant()
    board = await connected(board_socket(session.code))
    (screen,) = local_fanout().screens(group_name(session.pk, BOARD, "en"))
    drained = stop_reading(screen)

    for number in range(5):
        screen.deliver(f"<p>{number}</p>")
    await asyncio.sleep(0.05)
    assert await board.receive_nothing(timeout=0.1)

    drained.set()
    for number in range(5):
        assert await board.receive_from(timeout=2) == f"<p>{number}</p>"
    screen.deliver("<p>5</p>")
    assert board.output_queue.get_nowait()["text"] == "<p>5</p>"  # directly again
    await board.disconnect()


async def test_updates_during_a_snapshot_go_out_after_it_in_order(db):
    """A resume holds the send lock while it reads and renders the snapshot: updates that come
    meanwhile wait for it, and keep their order (none is written before the snapshot)."""
    from sessions.live.fanout import local_fanout
    from sessions.live.groups import BOARD, group_name

    session, participant = await make_session_with_participant()
    await database_sync_to_async(services.post_need)(participant=participant, text="Missed me")
    board = await connected(board_socket(session.code))
    (screen,) = local_fanout().screens(group_name(session.pk, BOARD, "en"))
    rendering, release = asyncio.Event(), asyncio.Event()
    snapshot_if_behind = screen.snapshot_if_behind

    def slow_snapshot(since, *, whole=False):
        screen.loop.call_soon_threadsafe(rendering.set)
        asyncio.run_coroutine_threadsafe(release.wait(), screen.loop).result(timeout=5)
        return snapshot_if_behind(since, whole=whole)

    screen.loop = asyncio.get_running_loop()
    screen.snapshot_if_behind = slow_snapshot
    await board.send_to(text_data=json.dumps({"type": "resume", "since": 0}))
    await asyncio.wait_for(rendering.wait(), 2)

    for number in range(3):
        screen.deliver(f"<p>{number}</p>")
    release.set()

    assert "Missed me" in await board.receive_from(timeout=2)
    for number in range(3):
        assert await board.receive_from(timeout=2) == f"<p>{number}</p>"
    screen.deliver("<p>3</p>")
    assert board.output_queue.get_nowait()["text"] == "<p>3</p>"  # directly again
    await board.disconnect()
