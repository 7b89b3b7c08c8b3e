"""Double taps and retried requests never duplicate a need or a vote."""

import re
import uuid

import pytest
from django.urls import reverse

from sessions import services
from sessions.enums import Phase
from sessions.models import LiveSession, Need, Vote
from tests.factories import NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def submission_id(html: str) -> str:
    return re.search(r'name="submission_id" value="([0-9a-f]{32})"', html).group(1)


def test_the_need_form_carries_a_fresh_submission_id(participant_client, live_session):
    page = participant_client.get(reverse("sessions:participant", args=[live_session.code]))
    again = participant_client.get(reverse("sessions:participant", args=[live_session.code]))

    assert submission_id(page.text) != submission_id(again.text)


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_the_same_submission_twice_posts_one_need_and_both_succeed(
    participant_client, live_session, headers
):
    page = participant_client.get(reverse("sessions:participant", args=[live_session.code]))
    data = {"text": "Safer visibility", "submission_id": submission_id(page.text)}
    url = reverse("sessions:post_need", args=[live_session.code])

    first = participant_client.post(url, data, headers=headers)
    second = participant_client.post(url, data, headers=headers)

    assert first.status_code == second.status_code == (200 if headers else 302)
    assert Need.objects.count() == 1
    if headers:
        assert "Posted" in second.text
        # The answer carries a new id, so the next need is not taken for a retry.
        assert submission_id(second.text) != data["submission_id"]


def test_a_new_submission_id_posts_a_new_need(participant_client, live_session):
    url = reverse("sessions:post_need", args=[live_session.code])
    for _ in range(2):
        participant_client.post(url, {"text": "Same words", "submission_id": uuid.uuid4().hex})

    assert Need.objects.count() == 2


def test_the_key_is_per_participant(live_session):
    key = uuid.uuid4().hex
    one, two = ParticipantFactory.create_batch(2, live_session=live_session)

    services.post_need(participant=one, text="Mine", client_key=key)
    services.post_need(participant=two, text="Theirs", client_key=key)
    again = services.post_need(participant=one, text="Mine", client_key=key)

    assert Need.objects.count() == 2
    assert again.text == "Mine" and again.author == one


def test_a_retried_add_is_a_new_dot_until_the_cap_holds(participant_client, live_session):
    """Votes carry no key: each add is a real dot, and budget and cap bound any retry storm."""
    LiveSession.objects.filter(pk=live_session.pk).update(
        phase=Phase.VOTING, dot_budget=5, dot_cap=3
    )
    need = NeedFactory(live_session=live_session)
    url = reverse("sessions:vote", args=[live_session.code])
    data = {"kind": "need", "item": need.pk, "action": "add"}

    statuses = [participant_client.post(url, data, headers=HTMX).status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 409, 409]
    assert Vote.objects.get().dots == 3
    refused = participant_client.post(url, data, headers=HTMX)
    assert "At most 3 dots can go on one item." in refused.text
