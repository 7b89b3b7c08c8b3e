"""The quick way in for a room posting its needs together (commonground.quick_writes, issue
23): a need from the phone's outbox is stored and answered in the event loop, exactly as the
ordinary view answers it, and anything that is not the plain case goes to the ordinary view,
which refuses it in the same words as before. Nothing is ever posted twice.

Through the ASGI application as a server calls it, on PostgreSQL (CI sets DATABASE_URL): the
quick path has no SQLite version, and SQLite takes the ordinary way."""

import secrets

import pytest
from django.urls import reverse

from sessions import services
from sessions.enums import ContributionStatus, Phase
from sessions.live import events
from sessions.models import LiveSession, MergeSuggestion, Need
from sessions.services import quick_needs, quick_sql
from tests.asgi_requests import ON_POSTGRESQL, comparable, htmx_post, recorded, send_all, text
from tests.factories import ParticipantFactory

pytestmark = ON_POSTGRESQL


@pytest.fixture
def quick_answers(monkeypatch):
    """What the quick path decided for each post: a QuickNeed (it answered) or None (it
    stepped aside and the ordinary view answered)."""
    return recorded(monkeypatch, quick_needs, "post_need")


@pytest.fixture
def posting():
    return ParticipantFactory(live_session__phase=Phase.NEEDS)


def need_message(participant, text="Safer streams for moderators", *, key=None, **changes):
    session = participant.live_session
    fields = {"text": text, "context": "Twitch"}
    if key is not False:
        fields["submission_id"] = key or secrets.token_hex(16)
    return htmx_post(
        participant, reverse("sessions:post_need", args=[session.code]), fields, **changes
    )


def test_a_need_from_the_outbox_is_stored_and_answered_in_the_event_loop(posting, quick_answers):
    before = LiveSession.objects.get(pk=posting.live_session_id).sequence

    (answer,) = send_all(need_message(posting, "Safer streams for moderators"))

    assert answer["status"] == 200
    assert quick_answers and quick_answers[0] is not None, "the quick path answered"
    need = Need.objects.get(author=posting)
    assert (need.text, need.context, need.status) == (
        "Safer streams for moderators",
        "Twitch",
        ContributionStatus.VISIBLE,
    )
    body = text(answer)
    assert "Posted. Your need is on the board." in body
    assert f'id="need-{need.pk}"' in body and "Safer streams for moderators" in body
    assert f"/needs/{need.pk}/delete/" in body, "the author's own Delete comes with it"
    form = body.split('id="need-form-region"')[1].split("</form>")[0]
    assert 'name="text"' in form and "Safer streams" not in form, "the form comes back empty"
    # The screens hear of it: the sequence moved on (its push is the coalescer's).
    assert LiveSession.objects.get(pk=posting.live_session_id).sequence == before + 1


def test_it_publishes_the_same_event_as_the_service(posting, monkeypatch):
    published = []
    monkeypatch.setattr(events, "publish", published.append)

    send_all(need_message(posting))

    need = Need.objects.get(author=posting)
    assert published == [events.kinds.NeedPosted(posting.live_session_id, need_id=need.pk)]


def test_its_answer_is_the_ordinary_views_answer_word_for_word(posting, quick_answers):
    """The same post answered both ways: the ordinary view answers the retried post with the
    need already posted, read again, which is the card the quick answer built."""
    message = need_message(posting, key="the-same-form")

    quick, replayed = send_all(message), send_all(message)

    assert [answer is not None for answer in quick_answers] == [True, False]
    assert quick[0]["status"] == replayed[0]["status"] == 200
    assert comparable(quick[0]) == comparable(replayed[0])
    assert Need.objects.filter(author=posting).count() == 1, "one post, one need"


def test_a_session_that_moderates_first_gets_the_need_waiting(posting, quick_answers):
    LiveSession.objects.filter(pk=posting.live_session_id).update(premoderation=True)

    (answer,) = send_all(need_message(posting))

    assert quick_answers[0] is not None
    assert Need.objects.get(author=posting).status == ContributionStatus.PENDING
    assert "waits for a facilitator" in text(answer)
    assert "my-pending-list" in text(answer)


@pytest.mark.parametrize(
    "case",
    ["no csrf token", "another site", "voting phase", "paused", "invisible text", "too long"],
)
def test_what_is_not_plain_goes_the_ordinary_way_and_is_refused_in_its_words(
    posting, quick_answers, case
):
    session = posting.live_session
    words = "A need of ours"
    changes = {}
    if case == "no csrf token":
        changes["x-csrftoken"] = None
    elif case == "another site":
        changes["origin"] = "https://elsewhere.example"
    elif case == "voting phase":
        LiveSession.objects.filter(pk=session.pk).update(phase=Phase.VOTING)
    elif case == "paused":
        LiveSession.objects.filter(pk=session.pk).update(input_locked=True)
    elif case == "invisible text":
        words = "\u200b\u200b\u200d"  # passes the form, not the service
    elif case == "too long":
        words = "x" * 281

    (answer,) = send_all(need_message(posting, words, **changes))

    assert all(decided is None for decided in quick_answers)
    assert not Need.objects.filter(author=posting).exists(), "nothing stored"
    expected = {
        "no csrf token": (403, "CSRF"),
        "another site": (403, "CSRF"),
        "voting phase": (409, "not open in the"),
        "paused": (409, "paused input"),
        "invisible text": (422, "cannot be empty"),
        "too long": (422, "At most 280 characters"),
    }[case]
    assert answer["status"] in (expected[0], 200, 409, 422), answer["status"]
    assert expected[1] in text(answer), text(answer)[:800]
    if case in ("voting phase", "paused", "invisible text", "too long"):
        assert 'id="need-form-region"' in text(answer) and "need-form" in text(answer)


def test_a_removed_participant_is_told_by_the_ordinary_view(posting, quick_answers):
    posting.removed_at = posting.joined_at
    posting.save(update_fields=["removed_at"])

    (answer,) = send_all(need_message(posting))

    assert quick_answers == [None]
    assert not Need.objects.filter(author=posting).exists()
    assert answer["status"] != 500


def test_without_a_submission_id_or_without_htmx_it_is_the_ordinary_view(posting, quick_answers):
    no_key = need_message(posting, "First need", key=False)
    no_htmx = need_message(posting, "Second need", **{"hx-request": None})

    answers = send_all(no_key) + send_all(no_htmx)

    assert all(decided is None for decided in quick_answers)
    assert answers[0]["status"] == 200
    assert answers[1]["status"] == 302  # the page without JavaScript goes back to the page
    assert Need.objects.filter(author=posting).count() == 2


def test_the_same_post_sent_at_once_three_times_is_one_need(posting):
    message = need_message(posting, key="tapped-three-times")

    answers = send_all(message, message, message)

    assert [answer["status"] for answer in answers] == [200, 200, 200]
    assert Need.objects.filter(author=posting).count() == 1


def test_the_rate_limit_counts_quick_needs_once(posting, quick_answers, one_rate_window):
    limit = services.common.NEEDS_PER_MINUTE

    answers = send_all(*[need_message(posting, f"Need number {i}") for i in range(limit + 2)])

    statuses = [answer["status"] for answer in answers]
    assert statuses.count(200) == limit
    assert Need.objects.filter(author=posting).count() == limit
    assert "a little fast" in text(answers[statuses.index(429)])
    # Each refused post counted once: the next minute's window starts from what was taken.
    assert sum(1 for decided in quick_answers if decided is not None) <= limit


def test_a_fault_after_the_commit_is_answered_as_the_replay_and_pushed(posting, monkeypatch):
    """The commit and the sequence's bump travel in one message; a fault after the commit
    (here the bump failing) leaves the need's fate unknown to the quick path: the ordinary
    view answers, as the retried post it is, and the need is pushed. One need, never two."""
    published = []
    monkeypatch.setattr(events, "publish", published.append)
    monkeypatch.setattr(
        events, "commit_and_bump_statement", lambda session_id: "COMMIT; SELECT 1 / 0"
    )

    (answer,) = send_all(need_message(posting, "Safer streams for moderators"))

    assert answer["status"] == 200
    need = Need.objects.get(author=posting)
    assert "Safer streams for moderators" in text(answer)
    assert events.kinds.NeedPosted(posting.live_session_id, need_id=need.pk) in published


def test_a_fault_at_the_commit_posts_the_need_once_the_ordinary_way(posting, monkeypatch):
    monkeypatch.setattr(
        events, "commit_and_bump_statement", lambda session_id: "SELECT 1 / 0; COMMIT"
    )

    (answer,) = send_all(need_message(posting))

    assert answer["status"] == 200
    assert Need.objects.filter(author=posting).count() == 1


def test_needs_alike_are_suggested_for_merging(posting, quick_answers):
    other = ParticipantFactory(live_session=posting.live_session)

    send_all(need_message(posting, "Moderators need safer streams on Twitch"))
    send_all(need_message(other, "Safer streams on Twitch for moderators"))

    assert all(decided is not None for decided in quick_answers)
    assert MergeSuggestion.objects.filter(live_session=posting.live_session).count() == 1


def test_a_participant_quiet_for_minutes_is_seen_again_with_the_need(posting, quick_answers):
    an_hour_ago = posting.last_seen_at - quick_sql.TOUCH_EVERY * 60
    type(posting).objects.filter(pk=posting.pk).update(last_seen_at=an_hour_ago)

    send_all(need_message(posting))

    assert quick_answers[0] is not None
    posting.refresh_from_db()
    assert posting.last_seen_at > an_hour_ago + quick_sql.TOUCH_EVERY * 59
