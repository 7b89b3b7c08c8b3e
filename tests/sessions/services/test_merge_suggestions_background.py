"""Merge suggestions refreshed in the background (sessions.services.suggestions, issue 23): a
post's answer never waits for needs being compared, a room posting together is compared in a
few refreshes rather than one per post, and every near duplicate is still suggested.

On PostgreSQL with real commits (CI sets DATABASE_URL): SQLite, and the other tests
(MERGE_SUGGESTIONS_SECONDS = 0), compare in the writing request."""

import threading
import time

import psycopg
import pytest
from django.db import connection

from sessions import queries, services
from sessions.enums import Phase
from sessions.models import MergeSuggestion, Need
from sessions.services import suggestions
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite compares in the writing request"
    ),
]

DUPLICATES = ("Know why my posts are hidden", "Know why my posts get hidden!")


@pytest.fixture
def in_background(settings):
    settings.MERGE_SUGGESTIONS_SECONDS = 0.3
    suggestions.refresher.forget()
    yield
    suggestions.refresher.forget()


@pytest.fixture
def room(in_background):
    live_session = LiveSessionFactory(phase=Phase.NEEDS)
    return live_session, ParticipantFactory.create_batch(3, live_session=live_session)


def suggested(live_session, pair=None, within: float = 10.0) -> list:
    """The session's suggestions (the refresh runs in another thread) once there are some, or
    once ``pair`` (need, other) is among them."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = queries.merge_suggestions(live_session)
        if found and (pair is None or pair in [(s.need, s.other) for s in found]):
            return found
        time.sleep(0.05)
    return []


def test_a_near_duplicate_posted_is_suggested_in_the_background(room):
    live_session, (first, second, _) = room

    kept = services.post_need(participant=first, text=DUPLICATES[0])
    duplicate = services.post_need(participant=second, text=DUPLICATES[1])

    (suggestion,) = suggested(live_session)
    assert (suggestion.need, suggestion.other) == (kept, duplicate)


def test_a_post_in_a_quiet_room_is_compared_before_its_answer(room, monkeypatch):
    """The first write after a quiet spell refreshes in its own request, as before, so the
    dashboard redrawn for its event already shows the suggestion: nothing is left to the
    background."""
    live_session, (first, second, _) = room
    asked = []
    monkeypatch.setattr(suggestions.refresher, "request", asked.append)
    kept = services.post_need(participant=first, text=DUPLICATES[0])
    time.sleep(0.4)  # a window: the next post finds the room quiet again

    duplicate = services.post_need(participant=second, text=DUPLICATES[1])

    (suggestion,) = queries.merge_suggestions(live_session)
    assert (suggestion.need, suggestion.other) == (kept, duplicate)
    assert asked == []


def test_a_post_is_answered_while_a_refresh_of_its_session_waits(room, settings):
    """Another worker's refresh holds the session's refresh lock: a post within the window
    of the last refresh is stored and answered all the same, and its need is compared in
    the background once the lock is free."""
    settings.MERGE_SUGGESTIONS_SECONDS = 3.0  # the second post comes well within it
    live_session, (first, second, _) = room
    services.post_need(participant=first, text=DUPLICATES[0])
    assert not MergeSuggestion.objects.filter(live_session=live_session).exists()
    dsn = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in dsn.items() if k in ("host", "port", "user", "dbname", "password")},
        autocommit=True,
    ) as other_worker:
        other_worker.execute(
            "SELECT pg_advisory_lock(%s, %s)", [suggestions._REFRESH_LOCK, live_session.pk]
        )
        posted = []

        def post_need() -> None:
            try:
                posted.append(services.post_need(participant=second, text=DUPLICATES[1]))
            finally:
                connection.close()  # this thread's own

        post = threading.Thread(target=post_need, daemon=True)
        post.start()
        post.join(timeout=10)

        assert posted, "the post waited for the refresh"
        assert not MergeSuggestion.objects.filter(live_session=live_session).exists()
        other_worker.execute(
            "SELECT pg_advisory_unlock(%s, %s)", [suggestions._REFRESH_LOCK, live_session.pk]
        )

    (suggestion,) = suggested(live_session)
    assert suggestion.other == posted[0]


def test_a_need_edited_while_it_was_compared_is_compared_again(monkeypatch):
    """The edit commits after the refresh read the need's words and before it marked the
    need compared: the mark must not cover the new words, which the next refresh compares."""
    live_session = LiveSessionFactory(phase=Phase.NEEDS)
    kept, other = (
        NeedFactory(live_session=live_session, text=text)
        for text in (DUPLICATES[0], "Legal help to contest a ban")
    )
    bring_up_to_date = suggestions._bring_up_to_date

    def edited_meanwhile(index, shown):
        bring_up_to_date(index, shown)
        dsn = connection.get_connection_params()
        with psycopg.connect(
            **{k: v for k, v in dsn.items() if k in ("host", "port", "user", "dbname")},
            autocommit=True,
        ) as editor:
            editor.execute(
                f"UPDATE {Need._meta.db_table} SET text = %s, updated = now() WHERE id = %s",
                [DUPLICATES[1], other.pk],
            )

    monkeypatch.setattr(suggestions, "_bring_up_to_date", edited_meanwhile)
    assert suggestions.refresh_merge_suggestions(live_session=live_session) == 2
    assert not MergeSuggestion.objects.filter(live_session=live_session).exists()
    monkeypatch.setattr(suggestions, "_bring_up_to_date", bring_up_to_date)

    assert suggestions.refresh_merge_suggestions(live_session=live_session) == 1
    (suggestion,) = MergeSuggestion.objects.filter(live_session=live_session)
    assert (suggestion.need_id, suggestion.other_id) == (kept.pk, other.pk)


def test_a_room_posting_together_is_compared_in_a_few_refreshes(room, monkeypatch):
    live_session, _ = room
    people = ParticipantFactory.create_batch(11, live_session=live_session)
    rounds = []
    refresh = suggestions.refresh_merge_suggestions

    def counted(*, live_session):
        rounds.append(time.monotonic())
        return refresh(live_session=live_session)

    monkeypatch.setattr(suggestions, "refresh_merge_suggestions", counted)
    texts = [f"Better {topic} for queer creators" for topic in TOPICS]
    texts.append(DUPLICATES[0])
    texts.append(DUPLICATES[1])
    started = time.monotonic()

    posted = [
        services.post_need(participant=people[index % len(people)], text=text)
        for index, text in enumerate(texts)
    ]
    took = time.monotonic() - started

    assert suggested(live_session, pair=(posted[-2], posted[-1]))
    # One at once, then at most one per window while the posts went on, and one after.
    assert len(rounds) <= 2 + took / 0.3 + 1 < len(texts)
    assert all(b - a >= 0.29 for a, b in zip(rounds, rounds[1:], strict=False))
    # Every need compared, each at the words it was posted with.
    for need in Need.objects.filter(pk__in=[need.pk for need in posted]):
        assert need.compared_at == need.updated


TOPICS = [
    "dating apps",
    "legal aid",
    "shadowbans",
    "pronouns",
    "harassment reports",
    "feed ranking",
    "audits",
    "data collection",
    "appeals",
    "visibility",
    "deadnaming",
    "recommendations",
    "moderators",
    "creators",
    "artists",
    "explanations",
    "opt out",
    "instagram",
    "youtube",
    "tiktok",
]
