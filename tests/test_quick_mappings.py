"""The quick way in for a room mapping its needs together (commonground.quick_writes, issue
23): a mapping from the phone's outbox is stored in the event loop and answered exactly as the
picker's view answers it, and anything that is not the plain case goes to the ordinary view,
which refuses it in the same words as before. Nothing is ever mapped twice.

Through the ASGI application as a server calls it, on PostgreSQL (CI sets DATABASE_URL): the
quick path has no SQLite version, and SQLite takes the ordinary way."""

import secrets

import pytest
from django.urls import reverse

from sessions import services
from sessions.enums import ContributionStatus, Phase
from sessions.live import events
from sessions.models import ClientWrite, LiveSession, Mapping, Need
from sessions.services import quick_mappings, quick_sql
from taxonomy.models import Strategy
from tests.asgi_requests import ON_POSTGRESQL, comparable, htmx_post, recorded, send_all, text
from tests.factories import (
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    TaxonomyFactory,
    VoteFactory,
)

pytestmark = ON_POSTGRESQL


@pytest.fixture
def quick_answers(monkeypatch):
    """What the quick path decided for each mapping: a QuickMapping (it answered) or None (it
    stepped aside and the ordinary view answered)."""
    return recorded(monkeypatch, quick_mappings, "map_need")


@pytest.fixture
def mapping():
    """A participant in the mapping phase, someone else's need, and three of the session's
    strategies."""
    participant = ParticipantFactory(live_session__phase=Phase.MAPPING)
    session = participant.live_session
    need = NeedFactory(author=ParticipantFactory(live_session=session))
    strategies = StrategyFactory.create_batch(3, category__taxonomy=session.taxonomy)
    return participant, need, strategies


def map_message(participant, need, strategies, *, key=None, reason="", **changes) -> dict:
    session = participant.live_session
    fields = [("strategies", str(strategy.pk)) for strategy in strategies]
    fields.append(("reason", reason))
    if key is not False:
        fields.append(("client_key", key or secrets.token_urlsafe(12)))
    return htmx_post(
        participant, reverse("sessions:map", args=[session.code, need.pk]), fields, **changes
    )


def test_a_mapping_from_the_outbox_is_stored_in_the_event_loop(mapping, quick_answers):
    participant, need, strategies = mapping
    before = LiveSession.objects.get(pk=participant.live_session_id).sequence

    (answer,) = send_all(map_message(participant, need, strategies[:2], reason="parce que"))

    assert answer["status"] == 200
    assert quick_answers and quick_answers[0] is not None, "the quick path answered"
    made = Mapping.objects.filter(need=need).order_by("strategy_id")
    assert [m.strategy_id for m in made] == sorted(s.pk for s in strategies[:2])
    assert {(m.author_id, m.reason, m.status) for m in made} == {
        (participant.pk, "parce que", ContributionStatus.VISIBLE)
    }
    body = text(answer)
    assert "Mapped to" in body and strategies[0].name in body and strategies[1].name in body
    assert f'id="need-{need.pk}"' in body, "the need's card comes back"
    for made_mapping in made:
        assert f"/mappings/{made_mapping.pk}/delete/" in body, "with the author's Remove"
    kept = ClientWrite.objects.get(participant=participant)
    assert kept.kind == "map_need" and sorted(kept.result["mappings"]) == sorted(m.pk for m in made)
    assert LiveSession.objects.get(pk=participant.live_session_id).sequence == before + 1


def test_it_publishes_the_same_event_as_the_service(mapping, monkeypatch):
    participant, need, strategies = mapping
    published = []
    monkeypatch.setattr(events, "publish", published.append)

    send_all(map_message(participant, need, strategies[:2]))

    (event,) = published
    made = sorted(Mapping.objects.filter(need=need).values_list("pk", flat=True))
    assert event == events.kinds.NeedMapped(
        participant.live_session_id, need_id=need.pk, mapping_ids=event.mapping_ids
    )
    assert sorted(event.mapping_ids) == made


def test_its_answer_is_the_ordinary_views_answer_word_for_word(mapping, quick_answers):
    """The same mapping answered both ways: the ordinary view answers the replay of the key
    with the mappings the first made, and the card as it is, which is what the quick answer
    showed."""
    participant, need, strategies = mapping
    message = map_message(participant, need, strategies[:2], key="same-picker")

    quick, replayed = send_all(message), send_all(message)

    assert [answer is not None for answer in quick_answers] == [True, False]
    assert quick[0]["status"] == replayed[0]["status"] == 200
    assert comparable(quick[0]) == comparable(replayed[0])
    assert Mapping.objects.filter(need=need).count() == 2, "one picker, two mappings"


@pytest.mark.parametrize("mapper", ["someone else", "its author"])
@pytest.mark.parametrize("premoderation", [False, True])
def test_a_busy_needs_card_is_the_ordinary_views_word_for_word(
    mapping, quick_answers, mapper, premoderation
):
    """The card the quick path reads in its transaction (sessions.queries.need_card) against
    the one the ordinary view reads: a need with dots, some of a removed participant, and
    mappings of every status with their own dots; mapped by someone else or by its author;
    the new mappings shown at once or held for a facilitator."""
    participant, need, strategies = mapping
    session = participant.live_session
    LiveSession.objects.filter(pk=session.pk).update(premoderation=premoderation)
    if mapper == "its author":
        participant = need.author
    Need.objects.filter(pk=need.pk).update(context="in our town", edited=True)
    others = ParticipantFactory.create_batch(3, live_session=session)
    theirs = MappingFactory(need=need, author=others[0], reason="they <b>organise</b>")
    MappingFactory(need=need, author=others[1], status=ContributionStatus.PENDING)
    MappingFactory(need=need, author=others[1], status=ContributionStatus.HIDDEN)
    VoteFactory(participant=others[0], need=need, dots=2)
    VoteFactory(participant=others[1], need=need, dots=3, hidden=True)
    VoteFactory(participant=others[2], mapping=theirs, dots=1)
    message = map_message(participant, need, strategies[:2], key="busy-picker")

    quick, replayed = send_all(message), send_all(message)

    assert [answer is not None for answer in quick_answers] == [True, False]
    assert quick[0]["status"] == replayed[0]["status"] == 200
    assert comparable(quick[0]) == comparable(replayed[0])
    body = text(quick[0])
    assert "they &lt;b&gt;organise&lt;/b&gt;" in body and "2 dots" in body


def test_a_card_it_cannot_read_leaves_the_mapping_to_the_ordinary_view(
    mapping, quick_answers, monkeypatch
):
    """Read in the mapping's transaction, before COMMIT: if the card is not there, the quick
    path commits nothing, and the ordinary view maps once and answers."""
    participant, need, strategies = mapping

    async def no_card(conn, need):
        return None

    monkeypatch.setattr(quick_mappings.need_card, "read", no_card)

    (answer,) = send_all(map_message(participant, need, strategies[:2]))

    assert quick_answers == [None]
    assert answer["status"] == 200
    assert Mapping.objects.filter(need=need).count() == 2
    assert f'id="need-{need.pk}"' in text(answer)


def test_a_pair_someone_mapped_already_is_kept_as_theirs(mapping, quick_answers):
    participant, need, strategies = mapping
    theirs = MappingFactory(need=need, strategy=strategies[0], author=need.author)

    (answer,) = send_all(map_message(participant, need, strategies[:2]))

    assert quick_answers[0] is not None
    assert Mapping.objects.get(pk=theirs.pk).author_id == need.author_id
    mine = Mapping.objects.get(need=need, strategy=strategies[1])
    assert mine.author_id == participant.pk
    assert f"Mapped to {strategies[1].name}." in text(answer)


def test_only_pairs_that_exist_say_so(mapping, quick_answers):
    participant, need, strategies = mapping
    MappingFactory(need=need, strategy=strategies[0], author=need.author)

    (answer,) = send_all(map_message(participant, need, strategies[:1]))

    assert Mapping.objects.filter(need=need).count() == 1
    assert "Those mappings already exist" in text(answer)
    assert ClientWrite.objects.get(participant=participant).result == {"mappings": []}


@pytest.mark.parametrize(
    "case",
    [
        "no csrf token",
        "another site",
        "voting phase",
        "paused",
        "merged",
        "another taxonomy",
        "unknown strategy",
        "reason too long",
    ],
)
def test_what_is_not_plain_goes_the_ordinary_way_and_is_refused_in_its_words(
    mapping, quick_answers, case
):
    participant, need, strategies = mapping
    session = participant.live_session
    chosen = strategies[:1]
    reason = ""
    changes = {}
    if case == "no csrf token":
        changes["x-csrftoken"] = None
    elif case == "another site":
        changes["origin"] = "https://elsewhere.example"
    elif case == "voting phase":
        LiveSession.objects.filter(pk=session.pk).update(phase=Phase.VOTING)
    elif case == "paused":
        LiveSession.objects.filter(pk=session.pk).update(input_locked=True)
    elif case == "merged":
        need.status = ContributionStatus.MERGED
        need.save(update_fields=["status"])
    elif case == "another taxonomy":
        chosen = [StrategyFactory(category__taxonomy=TaxonomyFactory(slug="elsewhere"))]
    elif case == "unknown strategy":
        chosen = [Strategy(pk=987654321)]
    elif case == "reason too long":
        reason = "x" * 281

    (answer,) = send_all(map_message(participant, need, chosen, reason=reason, **changes))

    assert all(decided is None for decided in quick_answers)
    assert not Mapping.objects.filter(author=participant).exists(), "nothing stored"
    expected = {
        "no csrf token": (403, "CSRF"),
        "another site": (403, "CSRF"),
        "voting phase": (409, "not open in the"),
        "paused": (409, "paused input"),
        "merged": (409, "merged this need into"),
        "another taxonomy": (422, "Select a valid choice"),
        "unknown strategy": (422, "Select a valid choice"),
        "reason too long": (422, "at most 280 characters"),
    }[case]
    assert answer["status"] in (expected[0], 200, 409, 422), answer["status"]
    assert expected[1].lower() in text(answer).lower(), text(answer)[:800]


def test_a_removed_participant_is_told_by_the_ordinary_view(mapping, quick_answers):
    participant, need, strategies = mapping
    participant.removed_at = participant.joined_at
    participant.save(update_fields=["removed_at"])

    (answer,) = send_all(map_message(participant, need, strategies[:1]))

    assert quick_answers == [None]
    assert not Mapping.objects.filter(need=need).exists()
    assert answer["status"] != 500


def test_without_a_key_or_without_htmx_it_is_the_ordinary_view(mapping, quick_answers):
    participant, need, strategies = mapping
    no_key = map_message(participant, need, strategies[:1], key=False)
    no_htmx = map_message(participant, need, strategies[1:2], **{"hx-request": None})

    answers = send_all(no_key) + send_all(no_htmx)

    assert all(decided is None for decided in quick_answers)
    assert answers[0]["status"] == 200
    assert answers[1]["status"] == 302  # the page without JavaScript goes back to the page
    assert Mapping.objects.filter(need=need).count() == 2


def test_the_same_picker_sent_at_once_three_times_maps_once(mapping):
    participant, need, strategies = mapping
    message = map_message(participant, need, strategies, key="tapped-three-times")

    answers = send_all(message, message, message)

    assert [answer["status"] for answer in answers] == [200, 200, 200]
    assert Mapping.objects.filter(need=need).count() == 3
    assert ClientWrite.objects.filter(participant=participant).count() == 1


def test_two_people_mapping_the_same_pair_at_once_make_one_mapping(mapping):
    participant, need, strategies = mapping
    other = ParticipantFactory(live_session=participant.live_session)

    answers = send_all(
        map_message(participant, need, strategies[:1]), map_message(other, need, strategies[:1])
    )

    assert [answer["status"] for answer in answers] == [200, 200]
    assert Mapping.objects.filter(need=need).count() == 1


def test_the_rate_limit_counts_quick_mappings_once(mapping, quick_answers, one_rate_window):
    participant, need, strategies = mapping
    limit = services.common.WRITES_PER_MINUTE
    extra = StrategyFactory.create_batch(
        limit, category__taxonomy=participant.live_session.taxonomy
    )
    pickers = [map_message(participant, need, [strategy]) for strategy in extra]

    answers = send_all(*pickers, map_message(participant, need, strategies[:1]))

    statuses = [answer["status"] for answer in answers]
    assert statuses.count(200) == limit
    assert Mapping.objects.filter(need=need).count() == limit
    assert "a little fast" in text(answers[statuses.index(429)])


def test_a_fault_after_the_commit_is_answered_as_the_replay_and_pushed(mapping, monkeypatch):
    participant, need, strategies = mapping
    published = []
    monkeypatch.setattr(events, "publish", published.append)
    monkeypatch.setattr(
        events, "commit_and_bump_statement", lambda session_id: "COMMIT; SELECT 1 / 0"
    )

    (answer,) = send_all(map_message(participant, need, strategies[:1]))

    assert answer["status"] == 200
    made = Mapping.objects.get(need=need)
    assert f"/mappings/{made.pk}/delete/" in text(answer)
    assert (
        events.kinds.NeedMapped(participant.live_session_id, need_id=need.pk, mapping_ids=[made.pk])
        in published
    )


def test_a_fault_at_the_commit_maps_once_the_ordinary_way(mapping, monkeypatch):
    participant, need, strategies = mapping
    monkeypatch.setattr(
        events, "commit_and_bump_statement", lambda session_id: "SELECT 1 / 0; COMMIT"
    )

    (answer,) = send_all(map_message(participant, need, strategies[:1]))

    assert answer["status"] == 200
    assert Mapping.objects.filter(need=need).count() == 1


def test_a_participant_quiet_for_minutes_is_seen_again_with_the_mapping(mapping, quick_answers):
    participant, need, strategies = mapping
    an_hour_ago = participant.last_seen_at - quick_sql.TOUCH_EVERY * 60
    type(participant).objects.filter(pk=participant.pk).update(last_seen_at=an_hour_ago)

    send_all(map_message(participant, need, strategies[:1]))

    assert quick_answers[0] is not None
    participant.refresh_from_db()
    assert participant.last_seen_at > an_hour_ago + quick_sql.TOUCH_EVERY * 59
