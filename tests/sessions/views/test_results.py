"""Results on every phone at wrap-up, and at a link kept after the session: what the room
mapped, in aggregate, with the reveal once the facilitators revealed it; never a pseudonym."""

import pytest
from django.urls import reverse
from django.utils import translation

from sessions import services
from sessions.enums import Phase
from sessions.live.kinds import event_of
from sessions.live.render import change_for, render_messages
from sessions.models import LiveSession, Need, Participant
from tests.conftest import client_for
from tests.factories import ParticipantFactory
from tests.sessions.queries.test_reveal import revealed  # noqa: F401  (the hand-computed fixture)

pytestmark = pytest.mark.django_db


def at(live_session, phase, **fields):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=phase, **fields)
    live_session.refresh_from_db()


def identifying(live_session) -> list[str]:
    people = Participant.objects.filter(live_session=live_session)
    return [p.pseudonym for p in people] + [p.display_name for p in people if p.display_name]


def test_every_phone_shows_what_the_room_mapped_at_wrap_up(client, revealed):  # noqa: F811
    at(revealed, Phase.WRAPUP)
    phone = client_for(client, ParticipantFactory(live_session=revealed))

    page = phone.get(reverse("sessions:participant", args=[revealed.code])).text

    assert 'id="room-results"' in page
    assert "What the room mapped" in page
    assert "60% of the demand" in page  # model-based: 6 of the room's 10
    assert "appears here too" in page  # the reveal waits for the facilitators
    assert "In high demand, and the research on Trans creators is silent" not in page
    assert reverse("sessions:results", args=[revealed.code]) in page


def test_the_reveal_reaches_the_phones_when_the_facilitators_reveal_it(
    revealed,  # noqa: F811
    facilitator,
    capture_live_events,
):
    at(revealed, Phase.WRAPUP)
    revealed.facilitators.add(facilitator)

    with capture_live_events() as events:
        services.reveal_results(live_session=revealed, actor=facilitator, revealed=True)
    messages = dict(render_messages(revealed.pk, change_for(events[0])))

    phone = messages[f"live-session-{revealed.pk}.participants.en"]["html"]
    assert events == [event_of("results_revealed", revealed.pk, {"revealed": True})]
    assert 'id="room-results" class="room-results"' in phone and 'hx-swap-oob="true"' in phone
    assert "In high demand, and the research on Trans creators is silent" in phone
    assert "Cloaking" in phone


def test_no_results_are_pushed_to_phones_before_wrap_up(revealed):  # noqa: F811
    at(revealed, Phase.VOTING)
    need = Need.objects.filter(live_session=revealed).first()

    messages = dict(
        render_messages(
            revealed.pk, change_for(event_of("dots_changed", revealed.pk, {"need_id": need.pk}))
        )
    )

    assert (
        'id="room-results"' not in messages[f"live-session-{revealed.pk}.participants.en"]["html"]
    )


def test_the_results_link_works_without_joining_and_names_nobody(client, revealed):  # noqa: F811
    at(revealed, Phase.WRAPUP, results_revealed=True)
    revealed.participants.update(display_name="Alex Tremblay")

    page = client.get(reverse("sessions:results", args=[revealed.code]))

    assert page.status_code == 200
    assert "What the room mapped" in page.text and "Cloaking" in page.text
    assert not [name for name in identifying(revealed) if name in page.text]


def test_the_results_link_waits_for_the_end_and_respects_a_purge(
    client,
    revealed,  # noqa: F811
    facilitator,
):
    url = reverse("sessions:results", args=[revealed.code])
    at(revealed, Phase.VOTING)
    before = client.get(url).text
    at(revealed, Phase.WRAPUP)
    services.purge_contributions(live_session=revealed, actor=facilitator)
    after_purge = client.get(url).text

    assert "The results appear here at the end of the session." in before
    assert 'id="room-results"' not in before
    assert "contributions were deleted" in after_purge and 'id="room-results"' not in after_purge


def test_the_results_come_in_the_phone_s_language(client, revealed):  # noqa: F811
    at(revealed, Phase.WRAPUP)

    with translation.override("fr"):
        page = client.get(
            reverse("sessions:results", args=[revealed.code]), headers={"Accept-Language": "fr"}
        ).text

    assert "Ce que la salle a cartographié" in page
