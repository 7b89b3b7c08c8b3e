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


# --- issue 25: timers in seconds, and "close input at zero" chosen beside the timer ---------

HTMX = {"HX-Request": "true"}


def control(client, live_session, **data):
    return client.post(reverse("sessions:control", args=[live_session.code]), data, headers=HTMX)


def toast(response) -> str:
    return response.text.split('id="flash" class="toast-region"')[1].split("</div>")[0]


@pytest.mark.parametrize(
    ("fields", "seconds", "said"),
    [
        ({"seconds": 30}, 30, "Timer started: 30 seconds."),
        ({"minutes": 1, "seconds": 30}, 90, "Timer started: 1 min 30 s."),
        ({"seconds": 90}, 90, "Timer started: 1 min 30 s."),
        ({"minutes": 2}, 120, "Timer started: 2 minutes."),
    ],
)
def test_the_dashboard_starts_a_timer_in_seconds_as_well_as_minutes(
    facilitator_client, live_session, fields, seconds, said
):
    response = control(facilitator_client, live_session, command="timer-start", **fields)

    assert response.status_code == 200
    assert said in toast(response)
    live_session.refresh_from_db()
    assert seconds - 2 <= live_session.seconds_left() <= seconds


@pytest.mark.parametrize("fields", [{}, {"minutes": 0, "seconds": 0}, {"minutes": 181}])
def test_a_timer_of_no_time_or_too_long_is_refused_in_words(
    facilitator_client, live_session, fields
):
    response = control(facilitator_client, live_session, command="timer-start", **fields)

    assert response.status_code in (409, 422)
    live_session.refresh_from_db()
    assert live_session.phase_ends_at is None


@pytest.mark.parametrize(
    ("at_zero", "closes", "said"),
    [
        (["open", "close"], True, "Input closes at zero."),  # the box ticked
        (["open"], False, "Input stays open at zero."),  # the box left empty
    ],
)
def test_close_input_at_zero_is_chosen_beside_the_timer_and_shown_while_it_runs(
    facilitator_client, live_session, at_zero, closes, said
):
    LiveSession.objects.filter(pk=live_session.pk).update(close_input_at_zero=not closes)

    response = control(
        facilitator_client, live_session, command="timer-start", seconds=30, at_zero=at_zero
    )

    assert said in toast(response)
    live_session.refresh_from_db()
    assert live_session.close_input_at_zero is closes
    page = facilitator_client.get(reverse("sessions:dashboard", args=[live_session.code]))
    shown = "Input closes at zero" if closes else "Input stays open at zero"
    assert f'data-at-zero="{"close" if closes else "open"}">{shown}</span>' in page.text


def test_close_input_at_zero_can_be_changed_while_the_timer_runs(
    facilitator_client, live_session, participant, facilitator
):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.NEEDS)
    run_out(live_session, facilitator)
    with pytest.raises(services.PhaseClosed):
        services.post_need(participant=participant, text="Too late")

    response = control(facilitator_client, live_session, command="timer-open-at-zero")

    assert "Input stays open at zero." in toast(response)
    services.post_need(participant=participant, text="Welcome after all")
    control(facilitator_client, live_session, command="timer-close-at-zero")
    with pytest.raises(services.PhaseClosed):
        services.post_need(participant=participant, text="Closed again")


def test_a_timer_is_extended_by_thirty_seconds(facilitator_client, live_session):
    control(facilitator_client, live_session, command="timer-start", seconds=30)

    response = control(facilitator_client, live_session, command="timer-extend", seconds=30)

    assert "30 seconds more on the timer." in toast(response)
    live_session.refresh_from_db()
    assert 57 <= live_session.seconds_left() <= 60


def test_the_moderation_log_names_a_timer_in_seconds(live_session, facilitator):
    from sessions.moderation_log import log_lines

    facilitator.first_name = "Ada"
    facilitator.save()
    services.set_timer(live_session=live_session, actor=facilitator, command="start", seconds=30)
    services.set_close_at_zero(live_session=live_session, actor=facilitator, close=False)

    assert [line.text for line in log_lines(live_session)] == [
        "Ada kept input open when the timer reaches zero",
        "Ada started a timer of 30 seconds",
    ]
