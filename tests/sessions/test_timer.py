"""A timer that means it: when it runs out, input for the phase closes (if the session says so,
as it does by default), and the facilitators can give more time."""

import time

import pytest
from django.urls import reverse

from sessions import services
from sessions.enums import Phase
from sessions.models import LiveSession, Need
from tests.factories import NeedFactory

pytestmark = pytest.mark.django_db


def run_out(live_session, facilitator, seconds=1):
    services.set_timer(
        live_session=live_session, actor=facilitator, command="start", seconds=seconds
    )
    time.sleep(seconds + 0.05)


def test_posting_after_the_timer_ran_out_is_refused_with_a_clear_message(
    live_session, participant, facilitator
):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.NEEDS)
    services.post_need(participant=participant, text="In time")

    run_out(live_session, facilitator)

    with pytest.raises(services.PhaseClosed, match="Time is up"):
        services.post_need(participant=participant, text="Too late")
    assert list(Need.objects.values_list("text", flat=True)) == ["In time"]


def test_votes_close_at_zero_and_a_withdrawal_stays_possible(
    live_session, participant, facilitator
):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.VOTING)
    need = NeedFactory(author=participant)

    run_out(live_session, facilitator)

    with pytest.raises(services.PhaseClosed, match="Time is up"):
        services.add_dot(participant=participant, need=need)
    services.delete_need(participant=participant, need=need)  # consent outlives the timer
    assert not Need.objects.exists()


def test_extending_or_clearing_the_timer_opens_input_again(live_session, participant, facilitator):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.NEEDS)
    run_out(live_session, facilitator)

    services.set_timer(live_session=live_session, actor=facilitator, command="extend", minutes=2)
    services.post_need(participant=participant, text="Extended")
    run_out(live_session, facilitator)
    services.set_timer(live_session=live_session, actor=facilitator, command="clear")
    services.post_need(participant=participant, text="Reopened")

    assert Need.objects.count() == 2


def test_a_session_can_keep_input_open_after_zero(live_session, participant, facilitator):
    LiveSession.objects.filter(pk=live_session.pk).update(
        phase=Phase.NEEDS, close_input_at_zero=False
    )
    run_out(live_session, facilitator)

    services.post_need(participant=participant, text="Still welcome")

    assert Need.objects.count() == 1


def test_the_phone_is_told_that_time_is_up(live_session, participant_client, facilitator):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.NEEDS)
    run_out(live_session, facilitator)

    response = participant_client.post(
        reverse("sessions:post_need", args=[live_session.code]),
        {"text": "Typed before zero"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409
    assert "Time is up for this phase" in response.text
    assert "Typed before zero" in response.text  # nothing typed is lost


def test_the_setting_is_on_by_default_and_offered_to_facilitators(
    client, facilitator, live_session
):
    client.force_login(facilitator)

    page = client.get(reverse("sessions:settings", args=[live_session.code]))

    assert LiveSession().close_input_at_zero is True
    assert 'name="close_input_at_zero"' in page.text
