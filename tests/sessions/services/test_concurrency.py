"""The dot budget holds under concurrent requests from one participant on several devices.

Runs against PostgreSQL (CI sets DATABASE_URL); SQLite serialises all writers, so the race
this guards against cannot happen there."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from sessions.enums import Phase
from sessions.identity import participant_cookie_name
from sessions.models import LiveSession, Vote
from tests.factories import NeedFactory, ParticipantFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's row locks (CI runs it)"
    ),
]


def fire_in_parallel(requests: list) -> list[int]:
    """Run each request in its own thread (own DB connection), all released at once."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def run(index, request):
        try:
            barrier.wait()
            statuses[index] = request()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_parallel_votes_past_the_budget_stop_exactly_at_the_budget():
    participant = ParticipantFactory(live_session__phase=Phase.VOTING)
    session = participant.live_session
    LiveSession.objects.filter(pk=session.pk).update(dot_budget=5, dot_cap=3)
    author = ParticipantFactory(live_session=session)
    needs = NeedFactory.create_batch(6, author=author)
    url = reverse("sessions:vote", args=[session.code])

    def vote_on(need):
        def request():
            client = Client()
            client.cookies[participant_cookie_name(session)] = participant.token
            return client.post(
                url,
                {"kind": "need", "item": need.pk, "action": "add"},
                headers={"HX-Request": "true"},
            ).status_code

        return request

    # 18 requests from "three devices" for six needs: 3 per need, far past a budget of 5.
    statuses = fire_in_parallel([vote_on(need) for need in needs for _ in range(3)])

    assert sum(Vote.objects.filter(participant=participant).values_list("dots", flat=True)) == 5
    assert statuses.count(200) == 5
    assert statuses.count(409) == 13
    assert all(v.dots <= 3 for v in Vote.objects.all())


def test_parallel_votes_on_one_item_stop_exactly_at_the_cap():
    participant = ParticipantFactory(live_session__phase=Phase.VOTING)
    session = participant.live_session
    LiveSession.objects.filter(pk=session.pk).update(dot_budget=10, dot_cap=3)
    need = NeedFactory(author=ParticipantFactory(live_session=session))
    url = reverse("sessions:vote", args=[session.code])

    def request():
        client = Client()
        client.cookies[participant_cookie_name(session)] = participant.token
        return client.post(
            url, {"kind": "need", "item": need.pk, "action": "add"}, headers={"HX-Request": "true"}
        ).status_code

    statuses = fire_in_parallel([request] * 8)

    assert Vote.objects.get(participant=participant, need=need).dots == 3
    assert sorted(statuses) == [200] * 3 + [409] * 5


def test_simultaneous_joins_all_get_in_with_unique_pseudonyms():
    # Two phones joining at the same instant used to draw the same random pseudonym and one of
    # them met the unique constraint as a 500.
    session = ParticipantFactory(live_session__phase=Phase.LOBBY).live_session
    url = reverse("sessions:join", args=[session.code])

    def request():
        return Client().post(url, {"presence": "room", "agree": "on"}).status_code

    statuses = fire_in_parallel([request] * 24)

    assert statuses == [302] * 24
    names = list(session.participants.values_list("pseudonym", flat=True))
    assert len(names) == 25 and len(set(names)) == 25
