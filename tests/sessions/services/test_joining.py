"""Joining at the door: pseudonyms allocated without reading the room, a device that a removal
keeps out, and a device id that links no two sessions."""

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse

from sessions import identity, services
from sessions.models import LiveSession, Participant
from sessions.pseudonyms import ADJECTIVES, ANIMALS, nth_pseudonym
from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.django_db
JOIN = {"presence": "room", "agree": "on"}


def join(client, live_session, **data):
    return client.post(reverse("sessions:join", args=[live_session.code]), {**JOIN, **data})


def test_pseudonyms_are_unique_through_every_pair_and_beyond():
    pairs = len(ADJECTIVES) * len(ANIMALS)

    names = [nth_pseudonym(number, seed=7) for number in range(2 * pairs + 5)]

    assert len(set(names)) == len(names)
    assert all(len(name.split()) == 2 for name in names[:pairs])  # plain pairs first
    assert names[pairs].endswith(" 2") and names[2 * pairs].endswith(" 3")


def test_a_join_costs_the_same_queries_in_an_empty_and_a_full_room(
    live_session, django_assert_num_queries
):
    def join_once():
        services.join_session(live_session=live_session, presence="room", agreed=True)

    join_once()
    # The session's sequence moves on after the commit (sessions.live.events), not counted here.
    with django_assert_num_queries(7) as empty:
        join_once()
    for _ in range(60):
        join_once()
    with django_assert_num_queries(7) as full:
        join_once()

    # No query reads the pseudonyms taken: the session's join counter names the next one.
    assert not any("pseudonym" in q["sql"] and "SELECT" in q["sql"] for q in full.captured_queries)
    assert len(empty.captured_queries) == len(full.captured_queries)
    assert Participant.objects.values("pseudonym").distinct().count() == 63


def test_a_session_older_than_the_numbering_still_gets_unique_pseudonyms(live_session):
    # Participants named before the counter existed: the next numbers' names may be taken.
    for _ in range(5):
        services.join_session(live_session=live_session, presence="room", agreed=True)
    LiveSession.objects.filter(pk=live_session.pk).update(joined_count=0)

    joined = [
        services.join_session(live_session=live_session, presence="room", agreed=True)[0]
        for _ in range(5)
    ]

    assert Participant.objects.values("pseudonym").distinct().count() == 10
    assert all(person.pseudonym for person in joined)


def test_a_removed_browser_cannot_join_again_until_a_facilitator_undoes_it(client, live_session):
    facilitator = get_user_model().objects.create_user("fac", password="pw")
    assert join(client, live_session).status_code == 302
    person = Participant.objects.get()
    services.remove_participant(actor=facilitator, participant=person)
    # The participant's cookie no longer works; the browser's device cookie stays.
    del client.cookies[identity.participant_cookie_name(live_session)]

    again = join(client, live_session)
    page = client.get(reverse("sessions:join", args=[live_session.code]))

    # The calm page, not the join form again: the device is known by its cookie.
    assert (again.status_code, page.status_code) == (403, 403)
    assert "removed you from this session" in again.text
    assert 'name="agree"' not in page.text
    assert Participant.objects.count() == 1
    services.restore_participant(actor=facilitator, participant=person)
    assert join(client, live_session).status_code == 302  # allowed again after the undo


def test_another_browser_can_join_after_a_removal(client, live_session):
    facilitator = get_user_model().objects.create_user("fac", password="pw")
    join(client, live_session)
    services.remove_participant(actor=facilitator, participant=Participant.objects.get())
    client.cookies.clear()  # another browser: no device cookie at all

    assert join(client, live_session).status_code == 302
    assert Participant.objects.filter(removed_at__isnull=True).count() == 1


def test_the_device_cookie_is_signed_http_only_and_kept_for_a_year(client, live_session):
    response = join(client, live_session)

    cookie = response.cookies[identity.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    device = signing.loads(cookie.value, salt="commonground.device")
    assert Participant.objects.get().device_hash == identity.device_hash(device, live_session)


def test_a_forged_device_cookie_counts_as_a_new_device(client, live_session):
    facilitator = get_user_model().objects.create_user("fac", password="pw")
    join(client, live_session)
    services.remove_participant(actor=facilitator, participant=Participant.objects.get())
    client.cookies.clear()
    client.cookies[identity.DEVICE_COOKIE] = "forged-device-id"

    response = join(client, live_session)

    assert response.status_code == 302
    assert response.cookies[identity.DEVICE_COOKIE].value != "forged-device-id"


def test_no_device_id_links_two_sessions(client, live_session):
    other = LiveSessionFactory(code="OTHER3", taxonomy=live_session.taxonomy)

    join(client, live_session)
    join(client, other)

    first, second = Participant.objects.order_by("pk")
    device = signing.loads(client.cookies[identity.DEVICE_COOKIE].value, salt="commonground.device")
    assert first.device_hash != second.device_hash
    assert device not in first.device_hash + second.device_hash
