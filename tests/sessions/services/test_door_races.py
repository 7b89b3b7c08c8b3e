"""The door under concurrency (issue 21): a sweep of the silent burst racing the burst's
people as they post their first need, and joins racing the door as it closes.

Runs against PostgreSQL (CI sets DATABASE_URL); SQLite serialises all writers, so these races
cannot happen there."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.utils import timezone

from sessions import services
from sessions.enums import Phase
from sessions.models import LiveSession, Need, Participant
from tests.factories import LiveSessionFactory, ParticipantFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's row locks (CI runs it)"
    ),
]


def all_at_once(calls: list) -> list:
    """Run each call in its own thread (own connection), released together; returns what each
    returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the refusals are the point
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("round_", range(5))
def test_a_sweep_never_takes_someone_whose_need_went_in(round_):
    live_session = LiveSessionFactory(phase=Phase.NEEDS)
    facilitator = get_user_model().objects.create_user(f"fac{round_}", password="pw")
    people = ParticipantFactory.create_batch(16, live_session=live_session)

    def post(person):
        return lambda: services.post_need(participant=person, text=f"From {person.pseudonym}")

    def sweep():
        return services.remove_silent_burst(
            live_session=live_session, actor=facilitator, until=timezone.now(), minutes=5
        )

    results = all_at_once([post(person) for person in people] + [sweep])

    others = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, services.ParticipantRemoved) for r in others), others
    removed = set(Participant.objects.filter(removed_at__isnull=False).values_list("pk", flat=True))
    with_needs = set(Need.objects.values_list("author_id", flat=True))
    # Whoever got a need in stays; whoever was removed has no need (theirs was refused).
    assert not removed & with_needs
    assert removed | with_needs == {person.pk for person in people}
    refused = [r for r in results[:-1] if isinstance(r, services.ParticipantRemoved)]
    assert len(refused) == len(removed)
    assert sorted(p.pk for p in results[-1].removed) == sorted(removed)


def test_no_join_gets_in_after_the_door_closes():
    live_session = LiveSessionFactory(phase=Phase.LOBBY)
    facilitator = get_user_model().objects.create_user("fac", password="pw")
    stale = LiveSession.objects.get(pk=live_session.pk)  # every join page read it open

    def join():
        return services.join_session(live_session=stale, presence="room", agreed=True)

    def close():
        return services.set_door(live_session=live_session, actor=facilitator, closed=True)

    results = all_at_once([join for _ in range(12)] + [close])

    assert not isinstance(results[-1], Exception), results[-1]
    joined = [r for r in results[:-1] if isinstance(r, tuple)]
    refused = [r for r in results[:-1] if isinstance(r, services.DoorClosed)]
    assert len(joined) + len(refused) == 12
    # Every join that got in committed before the door closed: none after it.
    closed_at = live_session.moderation_log.get(action="door-close").created
    assert all(p.joined_at <= closed_at for p in Participant.objects.all())
    assert Participant.objects.count() == len(joined)
