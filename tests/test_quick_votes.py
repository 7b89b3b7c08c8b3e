"""The quick way in for a plenary's votes (commonground.quick_writes, issue 23): a phone's dot
from its outbox is stored and answered in the event loop, answered exactly as the ordinary
view answers it, and anything that is not the plain case goes to the ordinary view, which
refuses it in the same words as before. Both ways together keep the budget and the cap.

Through the ASGI application as a server calls it, on PostgreSQL (CI sets DATABASE_URL): the
quick path has no SQLite version, and SQLite takes the ordinary way."""

import secrets

import pytest
from django.urls import reverse
from psycopg_pool import PoolTimeout

from commonground import async_db
from commonground.database_breaker import breaker
from sessions import services
from sessions.enums import ContributionStatus, Phase
from sessions.live import events
from sessions.models import LiveSession, Vote
from sessions.services import quick_sql, quick_votes
from tests.asgi_requests import ON_POSTGRESQL, comparable, htmx_post, recorded, send_all, text
from tests.factories import MappingFactory, NeedFactory, ParticipantFactory

pytestmark = ON_POSTGRESQL


@pytest.fixture
def quick_answers(monkeypatch):
    """What the quick path decided for each request: a QuickVote (it answered) or None (it
    stepped aside and the ordinary view answered)."""
    return recorded(monkeypatch, quick_votes, "add_dot")


@pytest.fixture
def voting():
    participant = ParticipantFactory(live_session__phase=Phase.VOTING)
    session = participant.live_session
    LiveSession.objects.filter(pk=session.pk).update(dot_budget=5, dot_cap=3)
    participant.live_session.refresh_from_db()
    author = ParticipantFactory(live_session=session)
    needs = NeedFactory.create_batch(3, author=author)
    return participant, needs


def vote_message(participant, item, *, kind="need", key=None, action="add", **changes) -> dict:
    session = participant.live_session
    fields = {"kind": kind, "item": item.pk, "action": action}
    if key is not False:
        fields["client_key"] = key or secrets.token_urlsafe(12)
    return htmx_post(participant, reverse("sessions:vote", args=[session.code]), fields, **changes)


def test_a_dot_from_the_outbox_is_stored_and_answered_in_the_event_loop(voting, quick_answers):
    participant, needs = voting
    before = LiveSession.objects.get(pk=participant.live_session_id).sequence

    (answer,) = send_all(vote_message(participant, needs[0]))

    assert answer["status"] == 200
    assert quick_answers and quick_answers[0] is not None, "the quick path answered"
    assert Vote.objects.get(participant=participant, need=needs[0]).dots == 1
    assert "You have <strong>4</strong> dots left" in text(answer)
    assert 'data-mine="1"' in text(answer)
    # The screens hear of it: the sequence moved on (its push is the coalescer's).
    assert LiveSession.objects.get(pk=participant.live_session_id).sequence == before + 1


def test_it_publishes_the_same_event_as_the_service(voting, monkeypatch):
    participant, needs = voting
    published = []
    monkeypatch.setattr(events, "publish", published.append)
    mapping = MappingFactory(need=needs[1], author=participant)

    send_all(
        vote_message(participant, needs[0]), vote_message(participant, mapping, kind="mapping")
    )

    assert sorted(published, key=lambda e: e.mapping_id or 0) == [
        events.kinds.DotsChanged(participant.live_session_id, need_id=needs[0].pk),
        events.kinds.DotsChanged(
            participant.live_session_id, need_id=needs[1].pk, mapping_id=mapping.pk
        ),
    ]


def test_its_answer_is_the_ordinary_views_answer_word_for_word(voting, quick_answers):
    """The same dot answered both ways: the ordinary view answers a replay of the key with the
    dots as they are, which is the state the quick answer showed."""
    participant, needs = voting
    message = vote_message(participant, needs[0], key="same-tap")
    quick, replayed = send_all(message), send_all(message)

    assert [answer is not None for answer in quick_answers] == [True, False]
    assert quick[0]["status"] == replayed[0]["status"] == 200
    assert comparable(quick[0]) == comparable(replayed[0])
    assert Vote.objects.get(participant=participant, need=needs[0]).dots == 1, "one tap, one dot"


def test_a_mapping_is_voted_the_quick_way_with_its_label(voting, quick_answers):
    participant, needs = voting
    mapping = MappingFactory(need=needs[0], author=participant)

    (answer,) = send_all(vote_message(participant, mapping, kind="mapping"))

    assert answer["status"] == 200 and quick_answers[0] is not None
    assert Vote.objects.get(participant=participant, mapping=mapping).dots == 1
    assert mapping.strategy.name[:20] in text(answer)


@pytest.mark.parametrize(
    "case",
    ["no csrf token", "another site", "budget spent", "cap reached", "phase closed", "merged"],
)
def test_what_is_not_plain_goes_the_ordinary_way_and_is_refused_in_its_words(
    voting, quick_answers, case
):
    participant, needs = voting
    session = participant.live_session
    need = needs[0]
    changes = {}
    if case == "no csrf token":
        changes["x-csrftoken"] = None
    elif case == "another site":
        changes["origin"] = "https://elsewhere.example"
    elif case == "budget spent":
        for other in needs:
            Vote.objects.create(live_session=session, participant=participant, need=other, dots=1)
        LiveSession.objects.filter(pk=session.pk).update(dot_budget=3)
    elif case == "cap reached":
        Vote.objects.create(live_session=session, participant=participant, need=need, dots=3)
    elif case == "phase closed":
        LiveSession.objects.filter(pk=session.pk).update(input_locked=True)
    elif case == "merged":
        need.status = ContributionStatus.MERGED
        need.save(update_fields=["status"])
    stored = sum(Vote.objects.filter(participant=participant).values_list("dots", flat=True))

    (answer,) = send_all(vote_message(participant, need, **changes))

    assert all(decided is None for decided in quick_answers)
    after = sum(Vote.objects.filter(participant=participant).values_list("dots", flat=True))
    assert after == stored, "nothing stored"
    expected = {
        "no csrf token": (403, "CSRF"),
        "another site": (403, "CSRF"),
        "budget spent": (200, "You have used all 3 of your dots"),
        "cap reached": (200, "At most 3 dots can go on one item"),
        "phase closed": (200, "The facilitators have paused input"),
        "merged": (200, "merged this need into"),
    }[case]
    assert answer["status"] in (expected[0], 409, 422, 429)
    assert expected[1] in text(answer), text(answer)[:500]


def test_a_removed_participant_is_told_by_the_ordinary_view(voting, quick_answers):
    participant, needs = voting
    participant.removed_at = participant.joined_at
    participant.save(update_fields=["removed_at"])

    (answer,) = send_all(vote_message(participant, needs[0]))

    assert quick_answers == [None]
    assert not Vote.objects.filter(participant=participant).exists()
    assert answer["status"] != 500


def test_without_a_key_or_without_htmx_it_is_the_ordinary_view(voting, quick_answers):
    participant, needs = voting
    no_key = vote_message(participant, needs[0], key=False)
    no_htmx = vote_message(participant, needs[1], **{"hx-request": None})

    answers = send_all(no_key) + send_all(no_htmx)

    assert quick_answers == [], "the quick path did not even try"
    assert answers[0]["status"] == 200
    assert answers[1]["status"] == 302  # the page without JavaScript goes back to the page
    assert Vote.objects.filter(participant=participant).count() == 2


def test_taps_at_once_from_one_person_on_several_phones_stop_at_the_budget(voting):
    participant, needs = voting  # budget 5, cap 3
    taps = [vote_message(participant, needs[i % 3]) for i in range(12)]

    answers = send_all(*taps)

    assert all(answer["status"] in (200, 409, 422) for answer in answers)
    dots = list(Vote.objects.filter(participant=participant).values_list("dots", flat=True))
    assert sum(dots) == 5 and max(dots) <= 3


def test_the_same_tap_sent_at_once_twice_is_one_dot(voting):
    participant, needs = voting
    message = vote_message(participant, needs[0], key="tapped-twice")

    answers = send_all(message, message, message)

    assert [answer["status"] for answer in answers] == [200, 200, 200]
    assert Vote.objects.get(participant=participant, need=needs[0]).dots == 1


def test_quick_and_ordinary_votes_together_keep_the_budget(voting):
    participant, needs = voting
    quick = [vote_message(participant, needs[i % 3]) for i in range(5)]
    ordinary = [vote_message(participant, needs[i % 3], key=False) for i in range(5)]

    send_all(*[m for pair in zip(quick, ordinary, strict=True) for m in pair])

    dots = list(Vote.objects.filter(participant=participant).values_list("dots", flat=True))
    assert sum(dots) == 5 and max(dots) <= 3


def test_the_rate_limit_counts_quick_votes(voting, quick_answers, one_rate_window):
    participant, needs = voting
    LiveSession.objects.filter(pk=participant.live_session_id).update(dot_budget=100, dot_cap=100)
    limit = services.common.WRITES_PER_MINUTE

    answers = send_all(*[vote_message(participant, needs[0]) for _ in range(limit + 2)])

    statuses = [answer["status"] for answer in answers]
    assert statuses.count(200) == limit
    assert Vote.objects.get(participant=participant, need=needs[0]).dots == limit
    assert "a little fast" in text(answers[statuses.index(429)])


def test_a_tap_the_ordinary_view_answers_counts_once_against_the_limit(
    voting, quick_answers, one_rate_window
):
    """With no dots left, every tap steps aside for the ordinary view, which refuses it in
    words: the limit counts each tap once, not once per path, so a phone tapping on is told
    it has no dots left for as many taps as anyone else gets, before "a little fast"."""
    participant, needs = voting
    LiveSession.objects.filter(pk=participant.live_session_id).update(dot_budget=1, dot_cap=1)
    limit = services.common.WRITES_PER_MINUTE
    (spent,) = send_all(vote_message(participant, needs[0]))
    assert spent["status"] == 200

    answers = [send_all(vote_message(participant, needs[1]))[0] for _ in range(limit)]

    refusals = [text(answer) for answer in answers]
    assert [answer["status"] for answer in answers[:-1]] == [409] * (limit - 1)
    assert all("no dots left" in refusal.lower() for refusal in refusals[:-1])
    assert answers[-1]["status"] == 429
    assert "a little fast" in refusals[-1]
    assert quick_answers[1:] == [None] * limit


def test_a_database_out_of_reach_sends_the_vote_the_ordinary_way(voting, monkeypatch):
    """The quick pool cannot connect (its server gone): the vote is stored once by the ordinary
    view, and the breaker is told, so that the next votes do not wait for that pool."""
    participant, needs = voting
    monkeypatch.setattr(async_db, "conninfo", lambda: "host=127.0.0.1 port=9 connect_timeout=1")
    monkeypatch.setattr(async_db, "_pool_timeout", lambda: 0.5)
    failures = []
    monkeypatch.setattr(breaker, "failed", lambda error, waiting_since=None: failures.append(error))

    (answer,) = send_all(vote_message(participant, needs[0]))

    assert answer["status"] == 200
    assert Vote.objects.get(participant=participant, need=needs[0]).dots == 1
    assert failures and isinstance(failures[0], PoolTimeout)


def test_a_fault_after_the_commit_is_answered_as_the_replay_and_pushed(voting, monkeypatch):
    """The commit and the sequence's bump travel in one message; a fault after the commit
    (here the bump failing) leaves the dot's fate unknown to the quick path: the ordinary view
    answers, as the replay it is, and the dot is pushed. One dot, never two."""
    participant, needs = voting
    published = []
    monkeypatch.setattr(events, "publish", published.append)
    monkeypatch.setattr(
        events, "commit_and_bump_statement", lambda session_id: "COMMIT; SELECT 1 / 0"
    )

    (answer,) = send_all(vote_message(participant, needs[0]))

    assert answer["status"] == 200
    assert Vote.objects.get(participant=participant, need=needs[0]).dots == 1
    assert 'data-mine="1"' in text(answer)
    assert events.kinds.DotsChanged(participant.live_session_id, need_id=needs[0].pk) in published


def test_a_fault_at_the_commit_stores_the_dot_once_the_ordinary_way(voting, monkeypatch):
    participant, needs = voting
    monkeypatch.setattr(
        events, "commit_and_bump_statement", lambda session_id: "SELECT 1 / 0; COMMIT"
    )

    (answer,) = send_all(vote_message(participant, needs[0]))

    assert answer["status"] == 200
    assert Vote.objects.get(participant=participant, need=needs[0]).dots == 1


def test_a_participant_quiet_for_minutes_is_seen_again_with_the_dot(voting, quick_answers):
    participant, needs = voting
    an_hour_ago = participant.last_seen_at - quick_sql.TOUCH_EVERY * 60
    type(participant).objects.filter(pk=participant.pk).update(last_seen_at=an_hour_ago)

    (answer,) = send_all(vote_message(participant, needs[0]))

    assert quick_answers[0] is not None
    participant.refresh_from_db()
    assert participant.last_seen_at > an_hour_ago + quick_sql.TOUCH_EVERY * 59
