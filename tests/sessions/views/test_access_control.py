"""A participant cannot touch another session's or another participant's data through any URL
or socket message: every attempt is a 404, 403, refusal or redirect, and nothing changes."""

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from commonground.asgi import application
from sessions.enums import Phase
from sessions.identity import participant_cookie_name
from sessions.live.routing import websocket_urlpatterns
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote
from tests.conftest import client_for
from tests.factories import (
    GapNoteFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    TaxonomyFactory,
    VoteFactory,
)

HTMX = {"HX-Request": "true"}


def snapshot():
    return [
        sorted(model.objects.values_list(*fields))
        for model, fields in (
            (Need, ("pk", "text", "status", "author_id")),
            (Mapping, ("pk", "need_id", "strategy_id", "reason", "status")),
            (Vote, ("pk", "participant_id", "need_id", "mapping_id", "dots")),
            (GapNote, ("pk", "text", "status", "strategy_id", "mapping_id")),
            (Participant, ("pk", "removed_at")),
        )
    ]


@pytest.fixture
def world(db):
    """Me and a neighbour in session A; a stranger in session B (another taxonomy)."""
    a = LiveSessionFactory(code="AAAAAA", phase=Phase.MAPPING, dot_budget=10, dot_cap=5)
    a_strategy = StrategyFactory(category__taxonomy=a.taxonomy)
    b = LiveSessionFactory(code="BBBBBB", phase=Phase.MAPPING, taxonomy=TaxonomyFactory())
    b_strategy = StrategyFactory(category__taxonomy=b.taxonomy)
    me = ParticipantFactory(live_session=a)
    neighbour = ParticipantFactory(live_session=a)
    stranger = ParticipantFactory(live_session=b)
    theirs = NeedFactory(live_session=a, author=neighbour)
    their_mapping = MappingFactory(need=theirs, strategy=a_strategy)
    their_gap = GapNoteFactory(live_session=a, author=neighbour, strategy=a_strategy)
    foreign = NeedFactory(live_session=b, author=stranger)
    foreign_mapping = MappingFactory(need=foreign, strategy=b_strategy)
    foreign_gap = GapNoteFactory(live_session=b, author=stranger, strategy=b_strategy)
    VoteFactory(participant=stranger, need=foreign, dots=2)
    return {
        "a": a,
        "b": b,
        "me": me,
        "theirs": theirs,
        "their_mapping": their_mapping,
        "their_gap": their_gap,
        "foreign": foreign,
        "foreign_mapping": foreign_mapping,
        "foreign_gap": foreign_gap,
        "b_strategy": b_strategy,
    }


def attempts(w):
    a, b = w["a"].code, w["b"].code
    theirs, foreign = w["theirs"].pk, w["foreign"].pk
    yield "get", reverse("sessions:edit_need", args=[a, theirs]), {}
    yield "post", reverse("sessions:edit_need", args=[a, theirs]), {"text": "mine now"}
    yield "post", reverse("sessions:edit_need", args=[a, foreign]), {"text": "mine now"}
    yield "post", reverse("sessions:edit_need", args=[b, foreign]), {"text": "mine now"}
    yield "post", reverse("sessions:delete_need", args=[a, theirs]), {}
    yield "post", reverse("sessions:delete_need", args=[a, foreign]), {}
    yield "post", reverse("sessions:delete_need", args=[b, foreign]), {}
    yield "post", reverse("sessions:delete_mapping", args=[a, w["their_mapping"].pk]), {}
    yield "post", reverse("sessions:delete_mapping", args=[a, w["foreign_mapping"].pk]), {}
    yield "post", reverse("sessions:delete_gap", args=[a, w["their_gap"].pk]), {}
    yield "post", reverse("sessions:delete_gap", args=[a, w["foreign_gap"].pk]), {}
    yield "post", reverse("sessions:delete_gap", args=[b, w["foreign_gap"].pk]), {}
    yield "post", reverse("sessions:map", args=[a, foreign]), {"strategies": [w["b_strategy"].pk]}
    yield "get", reverse("sessions:map", args=[a, foreign]), {}
    yield "post", reverse("sessions:map", args=[b, foreign]), {"strategies": [w["b_strategy"].pk]}
    yield (
        "post",
        reverse("sessions:map", args=[a, theirs]),
        {"strategies": [w["b_strategy"].pk]},
    )
    for phase_url in ("gap",):
        yield (
            "post",
            reverse(f"sessions:{phase_url}", args=[a]),
            {"target": f"mapping-{w['foreign_mapping'].pk}", "kind": "safety", "text": "x"},
        )
        yield (
            "post",
            reverse(f"sessions:{phase_url}", args=[a]),
            {"target": f"strategy-{w['b_strategy'].pk}", "kind": "safety", "text": "x"},
        )
    for kind, item in (("need", foreign), ("mapping", w["foreign_mapping"].pk)):
        for action in ("add", "remove"):
            data = {"kind": kind, "item": item, "action": action}
            yield "post", reverse("sessions:vote", args=[a]), data
            yield "post", reverse("sessions:vote", args=[b]), data
    yield "get", reverse("sessions:live", args=[b]) + "?audience=participants", {}
    yield "get", reverse("sessions:participant", args=[b]), {}
    yield "post", reverse("sessions:post_need", args=[b]), {"text": "in B"}
    yield "post", reverse("sessions:erase", args=[b]), {}


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_no_url_reaches_someone_elses_data(client, world, htmx):
    client_for(client, world["me"])
    before = snapshot()

    for phase in (Phase.MAPPING, Phase.VOTING, Phase.GAPS):
        LiveSession.objects.update(phase=phase)
        for method, url, data in attempts(world):
            response = getattr(client, method)(url, data, headers=HTMX if htmx else {})
            assert response.status_code in (302, 403, 404, 409, 422), (phase, method, url, data)
            if response.status_code == 302:
                # Only ever back to joining (the other session) or to my own page.
                assert response.url.startswith(("/join/BBBBBB/", "/s/AAAAAA/")), response.url
            assert snapshot() == before, (phase, method, url, data)


# --- sockets ---------------------------------------------------------------------------------

router = URLRouter(websocket_urlpatterns)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_participant_cookie_does_not_open_another_sessions_socket():
    @database_sync_to_async
    def setup():
        a, b = LiveSessionFactory(code="AAAAAA"), LiveSessionFactory(code="BBBBBB")
        return a, b, ParticipantFactory(live_session=a)

    a, b, me = await setup()
    socket = WebsocketCommunicator(router, f"/ws/s/{b.code}/participant/")
    # My cookie for A, even under B's cookie name: the token is not one of B's participants.
    socket.scope["cookies"] = {
        participant_cookie_name(a): me.token,
        participant_cookie_name(b): me.token,
    }

    ok, _ = await socket.connect()

    assert not ok


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_cross_site_participant_socket_is_refused_even_with_a_valid_cookie():
    @database_sync_to_async
    def setup():
        session = LiveSessionFactory(code="AAAAAA")
        return session, ParticipantFactory(live_session=session)

    session, me = await setup()
    cookie = f"{participant_cookie_name(session)}={me.token}".encode()
    path = f"/ws/s/{session.code}/participant/"

    evil = WebsocketCommunicator(
        application,
        path,
        headers=[
            (b"origin", b"https://evil.example"),
            (b"host", b"localhost"),
            (b"cookie", cookie),
        ],
    )
    ok, _ = await evil.connect()
    assert not ok

    # The same cookie from our own origin is accepted: the refusal was the origin's doing.
    same_site = WebsocketCommunicator(
        application,
        path,
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)],
    )
    ok, _ = await same_site.connect()
    assert ok
    await same_site.disconnect()
