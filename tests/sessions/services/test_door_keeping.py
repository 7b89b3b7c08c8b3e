"""Keeping the door (issue 21): a facilitator closes it in one tap and opens it again, sees the
join rate, and removes in one action the silent burst a script leaves behind, with its undo.
Nobody new joins through a closed door, and everyone already in carries on."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions import services
from sessions.live.kinds import event_of
from sessions.models import LiveSession, ModerationAction, Participant
from sessions.moderation_log import log_lines
from tests.factories import (
    GapNoteFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
JOIN = {"presence": "room", "agree": "on"}
CLOSED = "The facilitators have closed the door for now: nobody new can join."


def joined(live_session, *, seconds_ago: float, **kwargs) -> Participant:
    person = ParticipantFactory(live_session=live_session, **kwargs)
    when = timezone.now() - timedelta(seconds=seconds_ago)
    Participant.objects.filter(pk=person.pk).update(joined_at=when)
    person.joined_at = when
    return person


def toast(response) -> str:
    return response.text.split('id="flash" class="toast-region"')[1].split("</div>")[0]


# --- the service ------------------------------------------------------------------------------


def test_a_closed_door_refuses_new_joins_with_a_clear_message(
    live_session, facilitator, capture_live_events
):
    with capture_live_events() as captured:
        services.set_door(live_session=live_session, actor=facilitator, closed=True)

    with pytest.raises(services.DoorClosed) as refused:
        services.join_session(live_session=live_session, presence="room", agreed=True)

    assert str(refused.value).startswith(CLOSED)
    assert refused.value.status == 403
    assert not Participant.objects.exists()
    assert captured == [event_of("door_changed", live_session.pk, {"closed": True})]
    assert log_lines(live_session)[0].text == "fac closed the door: nobody new can join"


def test_a_join_on_its_way_when_the_door_closes_is_refused(live_session, facilitator):
    seen_open = LiveSession.objects.get(pk=live_session.pk)  # the join page read it open

    services.set_door(live_session=live_session, actor=facilitator, closed=True)

    with pytest.raises(services.DoorClosed):  # checked again under the session's row lock
        services.join_session(live_session=seen_open, presence="room", agreed=True)
    assert not Participant.objects.exists()


def test_people_already_in_carry_on_behind_a_closed_door(live_session, participant, facilitator):
    services.set_door(live_session=live_session, actor=facilitator, closed=True)

    need = services.post_need(participant=participant, text="Still here")

    assert need.author == participant


def test_reopening_the_door_lets_people_join_again(live_session, facilitator, capture_live_events):
    services.set_door(live_session=live_session, actor=facilitator, closed=True)

    with capture_live_events() as captured:
        services.set_door(live_session=live_session, actor=facilitator, closed=False)
    person, _token = services.join_session(live_session=live_session, presence="room", agreed=True)

    assert person.live_session == live_session
    assert captured[0] == event_of("door_changed", live_session.pk, {"closed": False})
    assert log_lines(live_session)[0].text == "fac opened the door again"


def test_closing_a_closed_door_does_nothing(live_session, facilitator, capture_live_events):
    services.set_door(live_session=live_session, actor=facilitator, closed=True)

    with capture_live_events() as captured:
        services.set_door(live_session=live_session, actor=facilitator, closed=True)

    assert captured == []
    assert live_session.moderation_log.count() == 1


def test_a_sweep_removes_exactly_the_silent_burst(live_session, facilitator, capture_live_events):
    burst = [joined(live_session, seconds_ago=s) for s in (5, 30, 100)]
    earlier = joined(live_session, seconds_ago=300)  # silent, but before the burst
    wrote = joined(live_session, seconds_ago=20)
    NeedFactory(author=wrote, live_session=live_session)
    mapped = joined(live_session, seconds_ago=20)
    MappingFactory(
        need=NeedFactory(author=earlier, live_session=live_session),
        author=mapped,
        live_session=live_session,
    )
    voted = joined(live_session, seconds_ago=20)
    VoteFactory(participant=voted, need=NeedFactory(author=earlier, live_session=live_session))
    noted = joined(live_session, seconds_ago=20)
    GapNoteFactory(author=noted, live_session=live_session, strategy=MappingFactory().strategy)
    hidden_writer = joined(live_session, seconds_ago=20)  # what they wrote is hidden: not silent
    NeedFactory(author=hidden_writer, live_session=live_session, status="hidden")
    already_removed = joined(live_session, seconds_ago=20)
    services.remove_participant(actor=facilitator, participant=already_removed)
    until = timezone.now()
    after_the_look = joined(live_session, seconds_ago=-1)  # joined once the dashboard was read

    with capture_live_events() as captured:
        swept = services.remove_silent_burst(
            live_session=live_session, actor=facilitator, until=until, minutes=2
        )

    assert sorted(p.pk for p in swept.removed) == sorted(p.pk for p in burst)
    removed = set(Participant.objects.filter(removed_at__isnull=False).values_list("pk", flat=True))
    assert removed == {p.pk for p in burst} | {already_removed.pk}
    assert after_the_look.pk not in removed
    # The sweep's entry counts; each removal's own entry points at its participant (no id of
    # anyone in the log's details: erasure leaves nothing there).
    assert swept.entry.details == {"count": 3, "minutes": 2}
    assert sorted(
        ModerationAction.objects.filter(details__burst=swept.entry.pk).values_list(
            "participant", flat=True
        )
    ) == sorted(p.pk for p in burst)
    assert [event.kind for event in captured] == ["participant_removed"] * 3
    assert log_lines(live_session)[0].text == (
        "fac removed the 3 people who joined in the last 2 minutes and contributed nothing"
    )


def test_a_swept_participant_is_kept_out_as_any_removed_one(client, live_session, facilitator):
    assert client.post(reverse("sessions:join", args=[live_session.code]), JOIN).status_code == 302

    services.remove_silent_burst(
        live_session=live_session, actor=facilitator, until=timezone.now(), minutes=2
    )
    client.cookies.pop(f"cg_p_{live_session.code}")  # the script drops its participant cookie

    again = client.post(reverse("sessions:join", args=[live_session.code]), JOIN)
    assert "A facilitator has removed you from this session." in again.text
    assert Participant.objects.count() == 1


def test_undoing_a_sweep_brings_everyone_back_once(live_session, facilitator):
    burst = [joined(live_session, seconds_ago=10) for _ in range(4)]
    swept = services.remove_silent_burst(
        live_session=live_session, actor=facilitator, until=timezone.now(), minutes=2
    )
    services.restore_participant(actor=facilitator, participant=burst[0])  # one by hand first

    restored = services.restore_burst(
        live_session=live_session, actor=facilitator, sweep=swept.entry
    )
    again = services.restore_burst(live_session=live_session, actor=facilitator, sweep=swept.entry)

    assert (restored, again) == (3, 0)
    assert not Participant.objects.filter(removed_at__isnull=False).exists()
    assert log_lines(live_session)[0].text == ("fac brought back the 3 people removed with a burst")


def test_a_sweep_with_nobody_silent_removes_nobody(live_session, facilitator):
    NeedFactory(author=joined(live_session, seconds_ago=10), live_session=live_session)

    swept = services.remove_silent_burst(
        live_session=live_session, actor=facilitator, until=timezone.now(), minutes=2
    )

    assert (swept.removed, swept.entry) == ([], None)
    assert not live_session.moderation_log.exists()


@pytest.mark.parametrize("minutes", [0, 61])
def test_a_sweep_takes_a_recent_burst_only(live_session, facilitator, minutes):
    with pytest.raises(services.InvalidInput):
        services.remove_silent_burst(
            live_session=live_session, actor=facilitator, until=timezone.now(), minutes=minutes
        )


def test_an_undo_names_a_sweep_of_this_session(live_session, facilitator):
    other = ModerationAction.objects.create(
        live_session=live_session, actor=facilitator, action="remove", target="participant-1"
    )

    with pytest.raises(services.InvalidInput):
        services.restore_burst(live_session=live_session, actor=facilitator, sweep=other)


# --- the views --------------------------------------------------------------------------------


def test_closing_the_door_is_one_tap_answered_in_a_toast(facilitator_client, live_session):
    response = facilitator_client.post(
        reverse("sessions:door", args=[live_session.code]), {"door": "close"}, headers=HTMX
    )

    assert response.status_code == 200
    assert "The door is closed: nobody new can join. Everyone already in carries on." in (
        toast(response)
    )
    assert LiveSession.objects.get(pk=live_session.pk).door_closed
    # The panel comes back with it, now offering to open the door.
    assert 'id="door"' in response.text and "Open the door" in response.text
    assert "fac closed the door: nobody new can join" in response.text  # the log, in words


def test_the_door_takes_a_facilitator(client, live_session, facilitator):
    url = reverse("sessions:door", args=[live_session.code])
    stranger = get_user_model().objects.create_user("stranger", password="pw")

    anonymous = client.post(url, {"door": "close"})
    client.force_login(stranger)
    not_theirs = client.post(url, {"door": "close"})

    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    assert not_theirs.status_code == 403
    assert not LiveSession.objects.get(pk=live_session.pk).door_closed


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("door", {"door": "close"}),
        ("sweep", {"minutes": 2, "until": "2026-01-01T00:00:00Z", "confirmed": "on"}),
    ],
)
def test_the_door_refuses_a_write_without_csrf(live_session, facilitator, name, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)

    response = client.post(reverse(f"sessions:{name}", args=[live_session.code]), data)

    assert response.status_code == 403
    assert not LiveSession.objects.get(pk=live_session.pk).door_closed


def test_the_join_page_says_the_door_is_closed_in_both_languages(client, live_session, settings):
    LiveSession.objects.filter(pk=live_session.pk).update(door_closed=True)
    url = reverse("sessions:join", args=[live_session.code])

    english = client.get(url)
    french = client.get(url, headers={"accept-language": "fr"})

    assert "The door is closed for now" in english.text
    assert 'name="agree"' not in english.text  # no form to fill in for nothing
    assert "La porte est fermée pour le moment" in french.text


def test_a_join_sent_as_the_door_closes_keeps_what_was_chosen(client, live_session):
    page = client.get(reverse("sessions:join", args=[live_session.code]))
    assert 'name="agree"' in page.text
    LiveSession.objects.filter(pk=live_session.pk).update(door_closed=True)

    response = client.post(
        reverse("sessions:join", args=[live_session.code]),
        {"presence": "remote", "agree": "on", "display_name": "Ada"},
    )

    assert response.status_code == 403
    answer = response.text.split('id="join-answer"')[1].split("</div>")[0]
    assert CLOSED in answer
    # Said next to the Join button, which it describes; nothing chosen is lost.
    assert response.text.index('id="join-answer"') < response.text.index(">Join</button>")
    assert 'aria-describedby="join-answer"' in response.text
    assert " checked" in re.search(r'<input[^>]*value="remote"[^>]*>', response.text).group(0)
    assert 'value="Ada"' in response.text
    assert not Participant.objects.exists()


def test_the_board_says_the_door_is_closed(client, live_session):
    url = reverse("sessions:board", args=[live_session.code])
    open_door = client.get(url)
    LiveSession.objects.filter(pk=live_session.pk).update(door_closed=True)

    closed = client.get(url)
    french = client.get(url, headers={"accept-language": "fr"})

    assert "Joining is closed for now" not in open_door.text
    assert 'id="board-door" class="board-door" role="status" hidden' in open_door.text
    assert "Joining is closed for now" in closed.text
    assert "Les arrivées sont fermées pour le moment" in french.text


def test_the_door_panel_shows_the_join_rate_and_who_just_arrived(facilitator_client, live_session):
    for seconds in (5, 20, 50, 200):
        joined(live_session, seconds_ago=seconds, pseudonym=f"Quiet Heron {seconds}")
    NeedFactory(author=joined(live_session, seconds_ago=2, pseudonym="Busy Wren"))

    response = facilitator_client.get(
        reverse("sessions:dashboard", args=[live_session.code]),
        {"region": "door"},
        headers=HTMX,
    )

    panel = response.text
    assert panel.startswith('\n<section id="door"') or '<section id="door"' in panel[:200]
    assert 'Joins in the last minute</dt><dd data-value="4">4' in panel
    assert 'In the last 10 minutes</dt><dd data-value="5">5' in panel
    assert "Busy Wren" in panel and "Quiet Heron 5" in panel
    # The 4 silent ones of the last 10 minutes (the 3 of the last 2 are in it), never the writer.
    assert "Remove the 3 who joined in the last 2 minutes and contributed nothing" in panel
    assert "Remove the 4 who joined in the last 10 minutes and contributed nothing" in panel
    assert "Remove 3 participants who joined in the last 2 minutes" in panel  # the confirmation


def test_a_sweep_is_answered_with_how_many_and_an_undo(facilitator_client, live_session):
    for _ in range(3):
        joined(live_session, seconds_ago=10)
    until = timezone.now().isoformat()

    response = facilitator_client.post(
        reverse("sessions:sweep", args=[live_session.code]),
        {"minutes": 2, "until": until, "confirmed": "on"},
        headers=HTMX,
    )

    said = toast(response)
    assert "Removed the 3 people who joined in the last 2 minutes and contributed nothing." in said
    entry = ModerationAction.objects.get(action="remove-burst")
    # The dashboard's log says it in one line, not one per person removed.
    assert [line.text for line in log_lines(live_session)] == [
        "A facilitator removed the 3 people who joined in the last 2 minutes and contributed "
        "nothing".replace("A facilitator", entry.actor.get_username())
    ]
    undo = reverse("sessions:sweep_undo", args=[live_session.code, entry.pk])
    assert f'action="{undo}"' in response.text

    back = facilitator_client.post(undo, headers=HTMX)

    assert "3 people are back: the removal is undone." in toast(back)
    assert not Participant.objects.filter(removed_at__isnull=False).exists()


def test_a_sweep_without_javascript_asks_first_how_many(facilitator_client, live_session):
    for _ in range(2):
        joined(live_session, seconds_ago=10)
    until = timezone.now().isoformat()

    question = facilitator_client.post(
        reverse("sessions:sweep", args=[live_session.code]), {"minutes": 2, "until": until}
    )

    assert question.status_code == 200
    assert "Remove 2 participants who joined in the last 2 minutes" in question.text
    assert 'name="confirmed" value="on"' in question.text
    assert not Participant.objects.filter(removed_at__isnull=False).exists()


def test_a_sweep_of_another_sessions_log_entry_is_not_found(
    facilitator_client, live_session, facilitator
):
    other = ParticipantFactory().live_session
    other.facilitators.add(facilitator)
    entry = ModerationAction.objects.create(
        live_session=other, actor=facilitator, action="remove-burst", target="session"
    )

    response = facilitator_client.post(
        reverse("sessions:sweep_undo", args=[live_session.code, entry.pk]), headers=HTMX
    )

    assert response.status_code == 404
