"""The HTTP path as the ASGI servers run it: commonground.asgi.application, with the
one-crossing handler (commonground.handlers) behind the per-worker admission limit
(commonground.concurrency)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.db import connections

from commonground.asgi import application
from commonground.concurrency import ConcurrencyLimit
from sessions.enums import Phase
from sessions.identity import participant_cookie_name
from sessions.models import Vote
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory

CSRF_SECRET = "c" * 32


@database_sync_to_async
def voting_session():
    live_session = LiveSessionFactory(code="K7HQ4P", phase=Phase.VOTING)
    participant = ParticipantFactory(live_session=live_session)
    need = NeedFactory(live_session=live_session, author=participant)
    return live_session, participant, need


def vote_request(live_session, participant, need, *, csrf_header: bool = True):
    cookie = f"{participant_cookie_name(live_session)}={participant.token}; csrftoken={CSRF_SECRET}"
    headers = [
        (b"host", b"localhost"),
        (b"origin", b"http://localhost"),
        (b"cookie", cookie.encode()),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"hx-request", b"true"),
    ]
    if csrf_header:
        headers.append((b"x-csrftoken", CSRF_SECRET.encode()))
    return HttpCommunicator(
        application,
        "POST",
        f"/s/{live_session.code}/vote/",
        body=f"kind=need&item={need.pk}&action=add".encode(),
        headers=headers,
    )


async def close_request_connections():
    # The factories' and the assertions' queries ran in asgiref's shared thread; PostgreSQL
    # must be free to drop the test database afterwards.
    await database_sync_to_async(connections.close_all)()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_vote_through_the_asgi_application_is_saved_and_answered():
    live_session, participant, need = await voting_session()

    request = vote_request(live_session, participant, need)
    response = await request.get_response(timeout=10)
    await request.wait(timeout=5)  # the handler closes the response (and its connection)

    assert response["status"] == 200
    assert b'id="dot-budget"' in response["body"]  # the phone's new budget
    headers = {name.lower(): value for name, value in response["headers"]}
    assert b"script-src" in headers[b"content-security-policy"]  # the whole chain ran
    assert b"camera=()" in headers[b"permissions-policy"]
    votes = await database_sync_to_async(list)(Vote.objects.filter(participant=participant))
    assert [(vote.need_id, vote.dots) for vote in votes] == [(need.pk, 1)]
    await close_request_connections()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_vote_without_its_csrf_token_is_refused_through_the_asgi_application():
    live_session, participant, need = await voting_session()

    request = vote_request(live_session, participant, need, csrf_header=False)
    response = await request.get_response(timeout=10)
    await request.wait(timeout=5)

    assert response["status"] == 403
    assert not await database_sync_to_async(Vote.objects.exists)()
    await close_request_connections()


@pytest.mark.asyncio
async def test_requests_beyond_the_limit_wait_their_turn_and_all_are_answered():
    inside, most_inside = 0, 0
    release = asyncio.Event()

    async def slow_app(scope, receive, send):
        nonlocal inside, most_inside
        inside += 1
        most_inside = max(most_inside, inside)
        await release.wait()
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = ConcurrencyLimit(slow_app, limit=2)
    requests = [HttpCommunicator(limited, "GET", "/") for _ in range(5)]
    answers = [asyncio.ensure_future(request.get_response(timeout=5)) for request in requests]
    await asyncio.sleep(0.1)
    assert inside == 2  # three are waiting, none refused
    release.set()

    responses = await asyncio.gather(*answers)
    assert [response["status"] for response in responses] == [200] * 5
    assert most_inside == 2


@pytest.mark.asyncio
async def test_websockets_are_not_held_back_by_the_http_limit():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    limited = ConcurrencyLimit(app, limit=1)
    await limited({"type": "websocket"}, None, None)
    await limited({"type": "websocket"}, None, None)

    assert seen == ["websocket", "websocket"]


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError):
        ConcurrencyLimit(lambda *args: None, limit=0)


@pytest.mark.asyncio
async def test_static_files_and_database_free_pages_pass_a_full_admission_queue():
    """With every admission slot held (as when PostgreSQL hangs), the stylesheet and the join
    form still answer at once; a page that needs the database waits its turn. The limit is
    the application's own, as the workers run it."""
    http = application.application_mapping["http"].app  # inside the quick way in for votes
    release = asyncio.Event()
    served = []

    async def app(scope, receive, send):
        if scope["path"] == "/taxonomy/":
            await release.wait()
        served.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = ConcurrencyLimit(
        app, limit=1, static_prefix=http.static_prefix, database_free_views=http.database_free_views
    )
    held = [
        asyncio.ensure_future(HttpCommunicator(limited, "GET", "/taxonomy/").get_response(5))
        for _ in range(3)
    ]
    await asyncio.sleep(0.05)

    for path in ("/static/css/app.css", "/join/"):
        answer = await HttpCommunicator(limited, "GET", path).get_response(timeout=1)
        assert answer["status"] == 200
    assert served == ["/static/css/app.css", "/join/"]
    release.set()
    assert [a["status"] for a in await asyncio.gather(*held)] == [200] * 3
    assert http.static_prefix == "/static/" and http.database_free_views == {"sessions:join_form"}


@pytest.mark.django_db
def test_the_database_free_join_form_makes_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        answer = client.get("/join/")

    assert answer.status_code == 200 and "Session code" in answer.text
