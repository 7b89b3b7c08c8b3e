"""Facilitator actions racing each other and the room, on PostgreSQL's row locks (issue 21):
crossed merges, a vote or a mapping arriving while a merge runs, two undos of one merge. Each
request runs in its own thread and connection, all released at once; none may answer 500, and
nothing may be lost.

SQLite serialises every writer, so these races cannot happen there (CI runs PostgreSQL)."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from sessions.enums import ContributionStatus, Phase
from sessions.identity import participant_cookie_name
from sessions.models import GapNote, LiveSession, Mapping, ModerationAction, Need, Vote
from tests.factories import (
    GapNoteFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    VoteFactory,
)
from tests.sessions.services.test_concurrency import fire_in_parallel

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's row locks (CI runs it)"
    ),
]
HTMX = {"HX-Request": "true"}
VISIBLE = ContributionStatus.VISIBLE


def facilitators_of(session, count=2):
    users = []
    for index in range(count):
        user = get_user_model().objects.create_user(f"fac{session.pk}-{index}", password="pw")
        session.facilitators.add(user)
        users.append(user)
    return users


def logged_in(user) -> Client:
    # A server error is an answer to count (500), not an exception in the test's thread.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def shown_dots(session) -> int:
    """The dots the room's counts show (visible needs and mappings)."""
    from sessions import queries

    return queries.activity(session)["dots"]


def a_pair_with_dots_and_mappings(session, strategies, voters):
    """Two needs alike, each with dots from every voter, a mapping and a gap note on it."""
    x = NeedFactory(live_session=session, author=voters[0], text="Safe streaming for us")
    y = NeedFactory(live_session=session, author=voters[1], text="Safer streams for us")
    for need in (x, y):
        for voter in voters:
            VoteFactory(participant=voter, need=need, dots=1)
    mx = MappingFactory(need=x, author=voters[0], strategy=strategies[0])
    my = MappingFactory(need=y, author=voters[1], strategy=strategies[1])
    VoteFactory(participant=voters[2], mapping=my, dots=1)
    GapNoteFactory(author=voters[2], strategy=strategies[1], mapping=my, text="Nothing on it")
    return x, y, mx


def test_crossed_merges_keep_one_need_lose_nothing_and_answer_no_500():
    """Two facilitators merge the same pair in opposite directions at the same instant, ten
    pairs: one merge goes through, the other is refused in words (409), and every need,
    mapping, gap note and dot is still counted."""
    session = LiveSessionFactory(phase=Phase.VOTING, dot_budget=40, dot_cap=3)
    strategies = StrategyFactory.create_batch(2, category__taxonomy=session.taxonomy)
    voters = ParticipantFactory.create_batch(3, live_session=session)
    first, second = facilitators_of(session)
    pairs = [a_pair_with_dots_and_mappings(session, strategies, voters) for _ in range(10)]
    dots_before = shown_dots(session)
    url = reverse("sessions:merge", args=[session.code])

    def merge(user, keep, duplicate):
        def request():
            response = logged_in(user).post(
                url, {"keep": keep.pk, "duplicate": duplicate.pk}, headers=HTMX
            )
            return response.status_code, response.text

        return request

    answers = fire_in_parallel(
        [request for x, y, _mx in pairs for request in (merge(first, x, y), merge(second, y, x))]
    )

    statuses = [status for status, _text in answers]
    assert 500 not in statuses
    assert sorted(statuses) == [200] * 10 + [409] * 10
    refusals = [text for status, text in answers if status == 409]
    assert all("was just merged into" in text for text in refusals)
    for x, y, _mx in pairs:
        # Exactly one of the two is still shown; the other is kept, merged away, for the undo.
        statuses = set(Need.objects.filter(pk__in=[x.pk, y.pk]).values_list("status", flat=True))
        assert statuses == {VISIBLE, ContributionStatus.MERGED}
    assert Need.objects.filter(live_session=session, status=VISIBLE).count() == 10
    assert Mapping.objects.filter(live_session=session, status=VISIBLE).count() == 20
    assert GapNote.objects.filter(live_session=session, mapping__status=VISIBLE).count() == 10
    # Each voter had 1 dot on each of the pair (cap 3): 2 on the kept need, none returned.
    assert shown_dots(session) == dots_before
    assert ModerationAction.objects.filter(action="merge").count() == 10


@pytest.fixture
def slow_merge(monkeypatch):
    """A merge that holds its locks for most of a second before it moves anything, and says
    when it does (the event it returns), so that requests sent then arrive while it runs (the
    race, every time, not by luck: on a loaded machine a fixed delay can pass before the merge
    has even signed in)."""
    from sessions.services import merging

    fold = merging._fold_dots
    holding_locks = threading.Event()

    def slowly(*args, **kwargs):
        holding_locks.set()
        time.sleep(0.8)
        return fold(*args, **kwargs)

    monkeypatch.setattr(merging, "_fold_dots", slowly)
    return holding_locks


def once(event, request):
    """The request, sent once the event is set (the merge holds its locks)."""

    def when_set():
        assert event.wait(30), "the merge never took its locks"
        return request()

    return when_set


def test_a_vote_arriving_during_a_merge_is_counted_or_refused_in_words(slow_merge):
    """Voters tap the duplicate just before and while a facilitator merges it: each dot
    lands (and moves to the kept need with the others) or is refused saying where the need
    went; never a 500, never a dot on the merged-away need, never one lost."""
    session = LiveSessionFactory(phase=Phase.VOTING, dot_budget=10, dot_cap=3)
    (facilitator,) = facilitators_of(session, 1)
    author = ParticipantFactory(live_session=session)
    voters = ParticipantFactory.create_batch(6, live_session=session)
    for _round in range(3):
        keep = NeedFactory(live_session=session, author=author, text="Keep this one")
        duplicate = NeedFactory(live_session=session, author=author, text="Keep this one!")

        def vote(voter, duplicate=duplicate):
            def request():
                client = Client(raise_request_exception=False)
                client.cookies[participant_cookie_name(session)] = voter.token
                response = client.post(
                    reverse("sessions:vote", args=[session.code]),
                    {"kind": "need", "item": duplicate.pk, "action": "add"},
                    headers=HTMX,
                )
                return response.status_code, response.text

            return request

        def merge(keep=keep, duplicate=duplicate):
            response = logged_in(facilitator).post(
                reverse("sessions:merge", args=[session.code]),
                {"keep": keep.pk, "duplicate": duplicate.pk},
                headers=HTMX,
            )
            return response.status_code, response.text

        slow_merge.clear()
        answers = fire_in_parallel(
            [
                merge,
                *[vote(voter) for voter in voters[:3]],
                *[once(slow_merge, vote(voter)) for voter in voters[3:]],
            ]
        )

        statuses = [status for status, _text in answers]
        assert 500 not in statuses and statuses[0] == 200
        assert set(statuses[1:]) <= {200, 409}
        assert statuses[4:] == [409, 409, 409]  # those sent while it ran
        for status, text in answers[1:]:
            if status == 409:
                assert "just merged this need into “Keep this one”" in text
        placed = statuses[1:].count(200)
        # Every accepted dot is on the kept need now; none sits on the merged-away one.
        assert not Vote.objects.filter(need=duplicate).exists()
        assert (Vote.objects.filter(need=keep).aggregate(n=Sum("dots"))["n"] or 0) == placed


def test_a_mapping_arriving_during_a_merge_lands_on_the_kept_need_or_is_refused(slow_merge):
    session = LiveSessionFactory(phase=Phase.MAPPING)
    (facilitator,) = facilitators_of(session, 1)
    strategies = StrategyFactory.create_batch(4, category__taxonomy=session.taxonomy)
    author = ParticipantFactory(live_session=session)
    mappers = ParticipantFactory.create_batch(4, live_session=session)
    for _round in range(3):
        keep = NeedFactory(live_session=session, author=author, text="Kept")
        duplicate = NeedFactory(live_session=session, author=author, text="Kept too")
        # Something for the merge to fold, so that it holds its locks a while.
        VoteFactory(participant=author, need=duplicate)

        def map_it(mapper, strategy, duplicate=duplicate):
            def request():
                client = Client(raise_request_exception=False)
                client.cookies[participant_cookie_name(session)] = mapper.token
                return client.post(
                    reverse("sessions:map", args=[session.code, duplicate.pk]),
                    {"strategies": [strategy.pk]},
                    headers=HTMX,
                ).status_code

            return request

        def merge(keep=keep, duplicate=duplicate):
            return (
                logged_in(facilitator)
                .post(
                    reverse("sessions:merge", args=[session.code]),
                    {"keep": keep.pk, "duplicate": duplicate.pk},
                    headers=HTMX,
                )
                .status_code
            )

        pairs = list(zip(mappers, strategies, strict=True))
        slow_merge.clear()
        statuses = fire_in_parallel(
            [
                merge,
                *[map_it(m, s) for m, s in pairs[:2]],
                *[once(slow_merge, map_it(m, s)) for m, s in pairs[2:]],
            ]
        )

        assert 500 not in statuses and statuses[0] == 200
        # A mapping made answers the phone's htmx request with the need's card (200), one
        # refused says why (409).
        assert set(statuses[1:]) <= {200, 409}
        assert statuses[3:] == [409, 409]  # those sent while it ran
        mapped = statuses[1:].count(200)
        # No visible mapping hangs off the merged-away need: each landed on the kept one.
        assert not Mapping.objects.filter(need=duplicate, status=VISIBLE).exists()
        assert Mapping.objects.filter(need=keep, status=VISIBLE).count() == mapped


def test_two_facilitators_undoing_one_merge_at_once_undo_it_once():
    session = LiveSessionFactory(phase=Phase.VOTING, dot_budget=10, dot_cap=3)
    first, second = facilitators_of(session)
    voter = ParticipantFactory(live_session=session)
    strategies = StrategyFactory.create_batch(2, category__taxonomy=session.taxonomy)
    pairs = []
    for _ in range(5):
        x, y, _mx = a_pair_with_dots_and_mappings(
            session, strategies, [voter, *ParticipantFactory.create_batch(2, live_session=session)]
        )
        logged_in(first).post(
            reverse("sessions:merge", args=[session.code]), {"keep": x.pk, "duplicate": y.pk}
        )
        pairs.append((x, y))
    dots_merged = shown_dots(session)
    entries = list(ModerationAction.objects.filter(action="merge"))

    def undo(user, entry):
        def request():
            return (
                logged_in(user)
                .post(reverse("sessions:undo", args=[session.code, entry.pk]), headers=HTMX)
                .status_code
            )

        return request

    statuses = fire_in_parallel([undo(u, e) for e in entries for u in (first, second)])

    assert sorted(statuses) == [200] * 5 + [409] * 5
    for x, y in pairs:
        assert set(Need.objects.filter(pk__in=[x.pk, y.pk]).values_list("status", flat=True)) == {
            VISIBLE
        }
    assert shown_dots(session) == dots_merged
    assert LiveSession.objects.get(pk=session.pk).sequence > 0


def test_an_erasure_or_a_removal_during_a_merge_waits_for_it_and_answers_no_500(slow_merge):
    """The duplicate's author erases themselves, and a voter is removed, while a facilitator
    merges: each waits for the merge's locks, then goes through; nothing answers 500 and no
    dot is left on anything merged away."""
    session = LiveSessionFactory(phase=Phase.VOTING, dot_budget=10, dot_cap=3)
    first, second = facilitators_of(session)
    keeper, leaver, voter = ParticipantFactory.create_batch(3, live_session=session)
    keep = NeedFactory(live_session=session, author=keeper, text="Kept")
    duplicate = NeedFactory(live_session=session, author=leaver, text="Kept too")
    for need in (keep, duplicate):
        VoteFactory(participant=voter, need=need, dots=2)
    VoteFactory(participant=leaver, need=keep, dots=1)

    def merge():
        return (
            logged_in(first)
            .post(
                reverse("sessions:merge", args=[session.code]),
                {"keep": keep.pk, "duplicate": duplicate.pk},
                headers=HTMX,
            )
            .status_code
        )

    def erase():
        client = Client(raise_request_exception=False)
        client.cookies[participant_cookie_name(session)] = leaver.token
        return client.post(reverse("sessions:erase", args=[session.code])).status_code

    def remove():
        return (
            logged_in(second)
            .post(
                reverse("sessions:remove_participant", args=[session.code, voter.pk]),
                headers=HTMX,
            )
            .status_code
        )

    statuses = fire_in_parallel([merge, once(slow_merge, erase), once(slow_merge, remove)])

    # The merge first (typical: the others wait for its locks), or, on a slow machine, the
    # erasure first and the merge refused in words: never a 500.
    assert statuses[0] in (200, 409) and statuses[1:] == [302, 200]
    assert not Need.objects.filter(pk=duplicate.pk).exists()  # erased, with its author
    assert Need.objects.get(pk=keep.pk).status == VISIBLE
    held = list(Vote.with_hidden.filter(participant=voter).values_list("dots", "hidden"))
    if statuses[0] == 200:
        # The voter's 2 + 2 made 3 on the kept need (1 back to their budget), now hidden.
        assert held == [(3, True)]
    else:  # their 2 on the erased need went with it
        assert held == [(2, True)]
