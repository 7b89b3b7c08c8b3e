"""Facilitators present at wrap-up: the results are revealed on the board when they say so,
and the dashboard previews what the board shows now."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from sessions import services
from sessions.enums import Phase
from sessions.live.kinds import event_of
from sessions.live.render import change_for, render_update
from sessions.models import LiveSession
from tests.factories import MappingFactory, NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def facilitator(live_session):
    user = get_user_model().objects.create_user("fac", password="pw")
    live_session.facilitators.add(user)
    return user


def test_revealing_and_hiding_the_results_tell_the_board(
    live_session, facilitator, capture_live_events
):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.WRAPUP)

    with capture_live_events() as events:
        services.reveal_results(live_session=live_session, actor=facilitator, revealed=True)
        services.reveal_results(live_session=live_session, actor=facilitator, revealed=False)

    pk = live_session.pk
    assert events == [
        event_of("results_revealed", pk, {"revealed": True}),
        event_of("results_revealed", pk, {"revealed": False}),
    ]
    assert change_for(events[0]).regions == {"reveal"}
    assert not LiveSession.objects.get(pk=pk).results_revealed
    assert list(live_session.moderation_log.values_list("action", flat=True)) == [
        "hide-results",
        "reveal",
    ]


def test_the_results_are_revealed_only_at_wrap_up(live_session, facilitator, capture_live_events):
    with capture_live_events() as events, pytest.raises(services.PhaseClosed, match="wrap-up"):
        services.reveal_results(live_session=live_session, actor=facilitator, revealed=True)

    assert events == []
    assert not LiveSession.objects.get(pk=live_session.pk).results_revealed


def test_the_wrap_up_board_follows_the_reveal(live_session, facilitator):
    need = NeedFactory(author=ParticipantFactory(live_session=live_session))
    MappingFactory(need=need, strategy=live_session.taxonomy.strategies.first())
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.WRAPUP)
    live_session.refresh_from_db()
    hidden = render_update(
        live_session, change_for(event_of("results_revealed", 1, {"revealed": False})), "board"
    )

    services.reveal_results(live_session=live_session, actor=facilitator, revealed=True)
    live_session.refresh_from_db()
    shown = render_update(
        live_session, change_for(event_of("results_revealed", 1, {"revealed": True})), "board"
    )

    assert 'id="board-wrapup"' in hidden and "The results appear on this screen" in hidden
    assert 'id="board-wrapup"' in shown and "Each strategy the room asked for" in shown
    assert "The results appear on this screen" not in shown


def test_a_phase_change_sends_the_boards_whole_new_screen(live_session, facilitator):
    services.set_phase(live_session=live_session, phase=Phase.VOTING, actor=facilitator)
    live_session.refresh_from_db()

    message = render_update(
        live_session, change_for(event_of("phase_changed", 1, {"phase": "voting"})), "board"
    )

    assert (
        'id="board-screen" class="board-screen" data-screen="voting" hx-swap-oob="true"' in message
    )
    assert "Most-dotted needs" in message and 'id="board-dots"' in message


def test_the_dashboard_reveals_the_results_and_previews_the_board(
    client, facilitator, live_session
):
    client.force_login(facilitator)
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.WRAPUP)
    url = reverse("sessions:control", args=[live_session.code])

    page = client.get(reverse("sessions:dashboard", args=[live_session.code]))
    response = client.post(url, {"command": "results-reveal"}, headers=HTMX)

    assert "Reveal the results on the board" in page.text
    assert 'class="board-preview-frame" aria-hidden="true" inert' in page.text
    assert "the results are hidden" in page.text
    assert response.status_code == 200
    assert LiveSession.objects.get(pk=live_session.pk).results_revealed
    assert "Hide the results" in response.text and 'id="presenting"' in response.text
    region = client.get(
        reverse("sessions:dashboard", args=[live_session.code]),
        {"region": "presenting"},
        headers=HTMX,
    )
    assert "the room's demand against the research's attention" in region.text


def test_revealing_outside_wrap_up_is_refused_on_the_dashboard(client, facilitator, live_session):
    client.force_login(facilitator)

    response = client.post(
        reverse("sessions:control", args=[live_session.code]),
        {"command": "results-reveal"},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert "The results are revealed at wrap-up." in response.text
