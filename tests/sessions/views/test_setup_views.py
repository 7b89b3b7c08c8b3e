"""The facilitator starts a session from a template or runs one again from the browser."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from sessions.models import LiveSession
from tests.factories import NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def test_a_session_starts_from_a_template(facilitator_client, live_session, facilitator):
    page = facilitator_client.get(reverse("sessions:create_from_template"))

    response = facilitator_client.post(
        reverse("sessions:create_from_template"),
        {"template": "plenary", "title": "Plenary hall", "taxonomy": live_session.taxonomy.pk},
    )

    created = LiveSession.objects.get(title="Plenary hall")
    assert "Twenty-minute plenary" in page.text and "Remote-only session" in page.text
    assert response.status_code == 302
    assert response.url == reverse("sessions:dashboard", args=[created.code])
    assert created.dot_budget == 3 and created.premoderation
    assert list(created.facilitators.all()) == [facilitator]


def test_a_template_without_a_title_is_refused_with_the_form_kept(facilitator_client, live_session):
    response = facilitator_client.post(
        reverse("sessions:create_from_template"),
        {"template": "plenary", "title": "", "taxonomy": live_session.taxonomy.pk},
    )

    assert response.status_code == 422
    assert response.context["form"]["template"].value() == "plenary"  # the choice is kept
    assert "This field is required." in response.text
    assert LiveSession.objects.count() == 1


def test_running_a_session_again_copies_its_set_up_only(facilitator_client, live_session):
    NeedFactory(author=ParticipantFactory(live_session=live_session))
    settings_page = facilitator_client.get(reverse("sessions:settings", args=[live_session.code]))

    response = facilitator_client.post(
        reverse("sessions:duplicate", args=[live_session.code]), {"title": "Second round"}
    )

    copy = LiveSession.objects.get(title="Second round")
    assert "Duplicate the set-up" in settings_page.text
    assert response.url == reverse("sessions:dashboard", args=[copy.code])
    assert copy.taxonomy == live_session.taxonomy and not copy.participants.exists()


def test_only_a_sessions_facilitators_can_run_it_again(client, live_session):
    stranger = get_user_model().objects.create_user("other", password="pw")
    client.force_login(stranger)

    response = client.post(
        reverse("sessions:duplicate", args=[live_session.code]), {"title": "Stolen set-up"}
    )

    assert response.status_code == 403
    assert not LiveSession.objects.filter(title="Stolen set-up").exists()
