import re

import pytest
from django.db import connection
from django.urls import reverse

from sessions.enums import Phase
from sessions.identity import participant_cookie_name
from sessions.models import LiveSession, Mapping, Need, Participant, Vote
from tests.conftest import client_for
from tests.factories import (
    GapNoteFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def set_phase(live_session, phase, **fields):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=phase, **fields)
    live_session.refresh_from_db()


# --- joining ---------------------------------------------------------------------------------


def test_join_form_accepts_a_code_typed_loosely(client, live_session):
    response = client.get(reverse("sessions:join_form"), {"code": " k7h-q4p "})

    assert response.status_code == 302
    assert response.url == reverse("sessions:join", args=["K7HQ4P"])


@pytest.mark.parametrize(
    ("code", "message"),
    [("ABC", "six letters and digits"), ("AAAAAA", "No session has the code AAAAAA")],
)
def test_join_form_explains_a_bad_code(client, live_session, code, message):
    response = client.get(reverse("sessions:join_form"), {"code": code})

    assert response.status_code in (200, 404)
    assert message in response.text


def test_joining_sets_an_httponly_cookie_and_lands_on_the_participant_page(client, live_session):
    response = client.post(
        reverse("sessions:join", args=[live_session.code]), {"presence": "remote", "agree": "on"}
    )

    assert response.status_code == 302
    assert response.url == reverse("sessions:participant", args=[live_session.code])
    cookie = response.cookies[participant_cookie_name(live_session)]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    participant = Participant.objects.get()
    assert participant.is_remote
    page = client.get(response.url)
    assert participant.pseudonym in page.text
    # Coming back to the join URL on the same device puts them back where they were.
    again = client.get(reverse("sessions:join", args=[live_session.code]))
    assert again.status_code == 302 and again.url == response.url


def test_joining_without_agreeing_shows_the_reason_and_creates_nobody(client, live_session):
    response = client.post(reverse("sessions:join", args=[live_session.code]), {"presence": "room"})

    assert response.status_code == 422
    assert "Please accept the community agreement" in response.text
    assert not Participant.objects.exists()


def test_participant_page_without_cookie_redirects_to_join(client, live_session):
    response = client.get(reverse("sessions:participant", args=[live_session.code]))

    assert response.status_code == 302
    assert response.url == reverse("sessions:join", args=[live_session.code])


def test_unknown_session_is_404(client, db):
    assert client.get(reverse("sessions:join", args=["ZZZZZZ"])).status_code == 404
    assert client.get(reverse("sessions:board", args=["ZZZZZZ"])).status_code == 404


# --- needs -----------------------------------------------------------------------------------


def test_posting_a_need_with_htmx_returns_a_fresh_form_and_a_status(
    participant_client, live_session
):
    response = participant_client.post(
        reverse("sessions:post_need", args=[live_session.code]),
        {"text": "Ways to be seen without being outed", "context": "Instagram"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Posted. Your need is on the board." in response.text
    assert 'id="need-form-region"' in response.text
    assert Need.objects.get().context == "Instagram"


def own_card(answer) -> str:
    """The author's own card in an answer to a post (the fresh form aside), without what each
    rendering makes anew (the CSRF token's mask, its controls' fresh keys)."""
    (card,) = re.findall(r'<ol hx-swap-oob="beforeend:#[a-z-]+" data-upsert>.*?</ol>', answer, re.S)
    return re.sub(r'name="(csrfmiddlewaretoken|client_key)" value="\w+"', r"\1", card)


@pytest.mark.parametrize("premoderated", [False, True])
def test_a_posted_needs_card_is_its_card_read_again(participant_client, live_session, premoderated):
    """The answer to a post shows the new card without reading the need again (no dots, no
    mappings yet): word for word the card of its retry, which reads it."""
    LiveSession.objects.filter(pk=live_session.pk).update(premoderation=premoderated)
    url = reverse("sessions:post_need", args=[live_session.code])
    data = {"text": "Ways to be seen without being outed", "context": "", "submission_id": "k1"}

    posted = participant_client.post(url, data, headers=HTMX)
    retried = participant_client.post(url, data, headers=HTMX)

    assert Need.objects.count() == 1
    assert own_card(posted.text) == own_card(retried.text)
    assert "Ways to be seen without being outed" in own_card(posted.text)


def test_posting_an_invalid_need_keeps_the_text_and_explains(participant_client, live_session):
    long_text = "x" * 300

    response = participant_client.post(
        reverse("sessions:post_need", args=[live_session.code]), {"text": long_text}, headers=HTMX
    )

    assert response.status_code == 422
    assert long_text in response.text
    assert "At most 280 characters: yours has 300. Shorten it a little." in response.text
    assert not Need.objects.exists()


def test_posting_without_htmx_redirects_with_a_message(participant_client, live_session):
    response = participant_client.post(
        reverse("sessions:post_need", args=[live_session.code]), {"text": "A need"}, follow=True
    )

    assert response.status_code == 200
    assert "Posted. Your need is on the board." in response.text
    assert "A need" in response.text


def test_posting_in_a_closed_phase_is_a_409_with_the_reason(participant_client, live_session):
    set_phase(live_session, Phase.VOTING)

    response = participant_client.post(
        reverse("sessions:post_need", args=[live_session.code]), {"text": "Late"}, headers=HTMX
    )

    assert response.status_code == 409
    assert "not open in the Voting phase" in response.text


def test_nobody_else_can_edit_or_delete_a_need(client, live_session, participant):
    need = NeedFactory(author=participant)
    stranger = ParticipantFactory(live_session=live_session)
    stranger_client = client_for(client, stranger)

    edit = stranger_client.post(
        reverse("sessions:edit_need", args=[live_session.code, need.pk]), {"text": "Mine now"}
    )
    delete = stranger_client.post(
        reverse("sessions:delete_need", args=[live_session.code, need.pk])
    )

    assert (edit.status_code, delete.status_code) == (404, 404)
    need.refresh_from_db()
    assert need.text != "Mine now"


def test_author_edits_and_deletes_their_need(participant_client, live_session, participant):
    need = NeedFactory(author=participant)

    participant_client.post(
        reverse("sessions:edit_need", args=[live_session.code, need.pk]), {"text": "Better words"}
    )
    need.refresh_from_db()
    assert need.text == "Better words"

    response = participant_client.post(
        reverse("sessions:delete_need", args=[live_session.code, need.pk]), headers=HTMX
    )
    assert response.status_code == 200 and not Need.objects.exists()


def test_a_participant_cannot_write_into_another_session(client, participant):
    other_session_need = NeedFactory()
    own_client = client_for(client, participant)

    response = own_client.post(
        reverse(
            "sessions:delete_need",
            args=[other_session_need.live_session.code, other_session_need.pk],
        )
    )

    assert response.status_code == 302  # not a participant there: sent to that session's join
    assert Need.objects.filter(pk=other_session_need.pk).exists()


# --- mapping ---------------------------------------------------------------------------------


def test_mapping_picker_lists_the_strategies_and_maps(participant_client, live_session, strategies):
    set_phase(live_session, Phase.MAPPING)
    need = NeedFactory(
        live_session=live_session, author=ParticipantFactory(live_session=live_session)
    )
    url = reverse("sessions:map", args=[live_session.code, need.pk])

    page = participant_client.get(url)
    response = participant_client.post(
        url, {"strategies": [strategies[0].pk, strategies[2].pk], "reason": "Fits"}
    )

    assert all(strategy.name in page.text for strategy in strategies)
    assert response.status_code == 302
    assert sorted(Mapping.objects.values_list("strategy_id", flat=True)) == [
        strategies[0].pk,
        strategies[2].pk,
    ]


def test_mapping_with_no_strategy_chosen_explains(participant_client, live_session):
    set_phase(live_session, Phase.MAPPING)
    need = NeedFactory(
        live_session=live_session, author=ParticipantFactory(live_session=live_session)
    )

    response = participant_client.post(
        reverse("sessions:map", args=[live_session.code, need.pk]), {"reason": "Keep me"}
    )

    assert response.status_code == 422
    assert "Choose at least one strategy." in response.text
    assert "Keep me" in response.text


@pytest.mark.parametrize("sent", ["elsewhere", "not-an-id", "99999999999999999999999"])
def test_mapping_onto_a_strategy_the_session_does_not_offer_is_refused_with_the_picker(
    participant_client, live_session, strategies, sent
):
    """A mapping reads only the strategies it names: one of another taxonomy, or no id at all,
    is refused beside the picker (all its strategies drawn again), and nothing is stored."""
    from tests.factories import StrategyFactory, TaxonomyFactory

    set_phase(live_session, Phase.MAPPING)
    need = NeedFactory(
        live_session=live_session, author=ParticipantFactory(live_session=live_session)
    )
    elsewhere = StrategyFactory(category__taxonomy=TaxonomyFactory())
    value = elsewhere.pk if sent == "elsewhere" else sent

    response = participant_client.post(
        reverse("sessions:map", args=[live_session.code, need.pk]),
        {"strategies": [value], "reason": "Keep me"},
    )

    assert response.status_code == 422
    assert "is not one of the available choices" in response.text
    assert all(strategy.name in response.text for strategy in strategies)
    assert "Keep me" in response.text
    assert not Mapping.objects.exists()


# --- voting ----------------------------------------------------------------------------------


def test_vote_returns_the_personal_control_and_remaining_budget(participant_client, live_session):
    set_phase(live_session, Phase.VOTING, dot_budget=4)
    need = NeedFactory(
        live_session=live_session, author=ParticipantFactory(live_session=live_session)
    )

    response = participant_client.post(
        reverse("sessions:vote", args=[live_session.code]),
        {"kind": "need", "item": need.pk, "action": "add"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert f'hx-swap-oob="innerHTML:#mine-need-{need.pk}"' in response.text
    assert "Your dots: 1" in response.text
    assert "<strong>3</strong> dots left" in response.text
    assert Vote.objects.get().dots == 1


def test_vote_past_the_cap_is_refused_with_a_message(participant_client, live_session, participant):
    set_phase(live_session, Phase.VOTING, dot_cap=1)
    need = NeedFactory(live_session=live_session, author=participant)
    url = reverse("sessions:vote", args=[live_session.code])
    data = {"kind": "need", "item": need.pk, "action": "add"}

    participant_client.post(url, data, headers=HTMX)
    response = participant_client.post(url, data, headers=HTMX)

    assert response.status_code == 409
    assert "At most 1 dots can go on one item." in response.text


@pytest.mark.parametrize("votes_already", [0, 6])
def test_a_vote_costs_the_same_few_queries_however_many_dots_are_placed(
    participant_client, live_session, django_assert_num_queries, votes_already
):
    """Voting is the most frequent write of a plenary: its cost must not grow with the
    participant's earlier votes (the budget is summed from the one read of them)."""
    set_phase(live_session, Phase.VOTING, dot_budget=20, dot_cap=20)
    author = ParticipantFactory(live_session=live_session)
    needs = [NeedFactory(live_session=live_session, author=author) for _ in range(7)]
    url = reverse("sessions:vote", args=[live_session.code])
    for need in needs[:votes_already]:
        participant_client.post(url, {"kind": "need", "item": need.pk, "action": "add"})

    # participant with session, item, savepoint, lock, the tap's key (a replay?), the item
    # again under a share lock (a merge waits for it or it sees the merge), then on
    # PostgreSQL one statement that reads the votes, checks budget and cap, places the dot and
    # keeps the key (SQLite: votes, write, key: three), release. The service hands the
    # participant's dots back for the answer, which does not read them again; the sequence
    # moves on after the commit (sessions.live.events), outside the vote's transaction.
    expected = 8 if connection.vendor == "postgresql" else 10
    with django_assert_num_queries(expected):
        response = participant_client.post(
            url,
            {"kind": "need", "item": needs[-1].pk, "action": "add", "client_key": "tap-1"},
            headers=HTMX,
        )

    assert response.status_code == 200
    assert f"<strong>{20 - votes_already - 1}</strong> dots left" in response.text


def test_a_vote_on_a_mapping_answers_with_its_strategy_read_alongside(
    participant_client, live_session, django_assert_num_queries
):
    """The answer labels the control with the mapping's strategy (what the phone's outbox
    shows while it waits): read with the mapping, not in a query of its own."""
    set_phase(live_session, Phase.VOTING, dot_budget=20, dot_cap=20)
    mapping = MappingFactory(need__live_session=live_session, live_session=live_session)
    url = reverse("sessions:vote", args=[live_session.code])

    # As a need's vote (above), with the mapping read again once its need is locked FOR SHARE
    # (a merge may have moved it): the mapping, its need, the mapping again.
    expected = 10 if connection.vendor == "postgresql" else 12
    with django_assert_num_queries(expected) as captured:
        response = participant_client.post(
            url,
            {"kind": "mapping", "item": mapping.pk, "action": "add", "client_key": "tap-2"},
            headers=HTMX,
        )

    assert response.status_code == 200
    assert mapping.strategy.name in response.text
    assert not any(
        query["sql"].startswith('SELECT "taxonomy_strategy"') for query in captured.captured_queries
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "need", "item": "abc", "action": "add"},
        {"kind": "poll", "item": 1, "action": "add"},
    ],
)
def test_malformed_votes_get_a_clear_422(participant_client, live_session, data):
    set_phase(live_session, Phase.VOTING)

    response = participant_client.post(
        reverse("sessions:vote", args=[live_session.code]), data, headers=HTMX
    )

    assert response.status_code == 422
    assert "That vote was not understood." in response.text


# --- gaps and erasure ------------------------------------------------------------------------


def test_gap_form_posts_a_gap_on_a_strategy(participant_client, live_session, strategies):
    set_phase(live_session, Phase.GAPS)
    url = reverse("sessions:gap", args=[live_session.code])

    response = participant_client.post(
        url, {"target": f"strategy-{strategies[1].pk}", "kind": "safety", "text": "Unsafe"}
    )

    assert response.status_code == 302
    note = live_session.taxonomy.strategies.get(pk=strategies[1].pk).gap_notes.get()
    assert (note.kind, note.text) == ("safety", "Unsafe")


def test_gap_form_rejects_a_target_outside_the_choices(participant_client, live_session):
    set_phase(live_session, Phase.GAPS)

    response = participant_client.post(
        reverse("sessions:gap", args=[live_session.code]),
        {"target": "strategy-999999", "kind": "safety", "text": "Keep this text"},
    )

    assert response.status_code == 422
    assert "Keep this text" in response.text


def test_erase_me_removes_the_participant_and_the_cookie(
    participant_client, live_session, participant
):
    NeedFactory(author=participant)
    GapNoteFactory(author=participant, strategy=live_session.taxonomy.strategies.first())

    response = participant_client.post(reverse("sessions:erase", args=[live_session.code]))

    assert response.status_code == 302
    assert response.cookies[participant_cookie_name(live_session)].value == ""
    assert not Participant.objects.exists() and not Need.objects.exists()


# --- board and polling -----------------------------------------------------------------------


def test_board_shows_counts_qr_code_and_needs(client, live_session):
    ParticipantFactory(live_session=live_session, presence="remote")
    need = NeedFactory(
        live_session=live_session, author=ParticipantFactory(live_session=live_session)
    )
    MappingFactory(need=need, strategy=live_session.taxonomy.strategies.first())

    response = client.get(reverse("sessions:board", args=[live_session.code]))

    assert response.status_code == 200
    assert "<svg" in response.text and 'class="qr-code"' in response.text
    assert live_session.code in response.text
    assert need.text in response.text
    assert f'ws-connect="/ws/s/{live_session.code}/board/"' in response.text


def test_polling_returns_204_when_current_and_the_state_when_behind(client, live_session):
    url = reverse("sessions:live", args=[live_session.code])
    NeedFactory(live_session=live_session, author=ParticipantFactory(live_session=live_session))
    LiveSession.objects.filter(pk=live_session.pk).update(sequence=7)

    current = client.get(url, {"audience": "board", "since": 7})
    behind = client.get(url, {"audience": "board", "since": 3})

    assert current.status_code == 204
    assert behind.status_code == 200
    assert 'id="live-seq" data-seq="7"' in behind.text
    assert 'id="needs-list"' in behind.text


def test_participant_polling_requires_joining(client, live_session):
    response = client.get(
        reverse("sessions:live", args=[live_session.code]), {"audience": "participants"}
    )

    assert response.status_code == 403


@pytest.mark.parametrize("item_count", [1, 5])
def test_board_query_count_does_not_grow_with_the_session(
    client, live_session, django_assert_num_queries, item_count
):
    strategy = live_session.taxonomy.strategies.first()
    for _ in range(item_count):
        need = NeedFactory(
            live_session=live_session, author=ParticipantFactory(live_session=live_session)
        )
        MappingFactory(need=need, strategy=strategy)
        GapNoteFactory(live_session=live_session, author=need.author, strategy=strategy)

    # The needs screen reads the counts, the newest needs and how many there are in all
    # (11 when the board showed every region in every phase).
    with django_assert_num_queries(6):
        client.get(reverse("sessions:board", args=[live_session.code]))


@pytest.mark.parametrize("phase", list(Phase))
def test_every_board_screen_costs_the_same_queries_however_large_the_session(
    client, live_session, phase
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    LiveSession.objects.filter(pk=live_session.pk).update(phase=phase, results_revealed=True)
    strategies = list(live_session.taxonomy.strategies.all())
    costs = []
    for _ in range(2):
        for strategy in strategies:
            author = ParticipantFactory(live_session=live_session)
            need = NeedFactory(live_session=live_session, author=author)
            mapping = MappingFactory(need=need, strategy=strategy)
            VoteFactory(participant=author, need=need)
            VoteFactory(participant=author, mapping=mapping)
            GapNoteFactory(live_session=live_session, author=author, strategy=strategy)
        with CaptureQueriesContext(connection) as queries:
            assert (
                client.get(reverse("sessions:board", args=[live_session.code])).status_code == 200
            )
        costs.append(len(queries))

    assert costs[0] == costs[1]


def test_participant_page_shows_the_newest_needs_and_loads_older_ones_on_request(
    participant_client, live_session
):
    from sessions.queries import NEEDS_ON_SCREEN

    author = ParticipantFactory(live_session=live_session)
    needs = [NeedFactory(author=author, text=f"Need #{n}") for n in range(NEEDS_ON_SCREEN + 5)]
    url = reverse("sessions:participant", args=[live_session.code])

    page = participant_client.get(url)
    older = participant_client.get(url, {"before": needs[5].pk}, headers=HTMX)

    assert page.text.count('class="need-card"') == NEEDS_ON_SCREEN
    assert f"Need #{NEEDS_ON_SCREEN + 4}" in page.text and "Need #4<" not in page.text
    assert f"?before={needs[5].pk}" in page.text
    assert older.status_code == 200 and "<html" not in older.text
    assert older.text.count('class="need-card"') == 5
    assert "Need #0<" in older.text and "Show older needs" not in older.text


def test_a_different_need_sent_with_a_stale_form_is_not_taken_for_a_retry(
    participant_client, live_session
):
    url = reverse("sessions:post_need", args=[live_session.code])
    stale = {"submission_id": "a" * 32}

    participant_client.post(url, {**stale, "text": "First need"}, headers=HTMX)
    participant_client.post(url, {**stale, "text": "First need"}, headers=HTMX)
    participant_client.post(url, {**stale, "text": "Second need"}, headers=HTMX)

    assert sorted(Need.objects.values_list("text", flat=True)) == ["First need", "Second need"]


def test_text_with_a_right_to_left_override_cannot_reorder_the_page_around_it(client, live_session):
    """U+202E is kept (right-to-left writing needs such marks) but each person's text is
    isolated, so it cannot flip the author's name or the dots shown after it."""
    author = ParticipantFactory(live_session=live_session, display_name="Ana")
    NeedFactory(live_session=live_session, author=author, text="harmless \u202etxt.exe")

    board = client.get(reverse("sessions:board", args=[live_session.code]))

    assert "<bdi>harmless \u202etxt.exe</bdi>" in board.text
    assert "<bdi>Ana</bdi>" in board.text
