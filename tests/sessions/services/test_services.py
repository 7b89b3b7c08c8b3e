import pytest

from sessions import identity, queries, services
from sessions.enums import ContributionStatus, Phase
from sessions.live.kinds import event_of
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote
from tests.factories import (
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    TaxonomyFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db


def set_phase(live_session, phase):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=phase)


# --- joining ---------------------------------------------------------------------------------


def test_join_gives_a_pseudonym_and_a_cookie_secret_that_is_not_stored(
    live_session, capture_live_events
):
    with capture_live_events() as events:
        participant, token = services.join_session(
            live_session=live_session, presence="remote", agreed=True
        )

    assert participant.pseudonym and participant.display_name == ""
    assert participant.is_remote
    assert token not in participant.token_hash
    assert identity.participant_for_token(live_session, token) == participant
    assert identity.participant_for_token(live_session, "guess") is None
    assert events == [
        event_of("participant_joined", live_session.pk, {"participant_id": participant.pk})
    ]


def test_join_requires_the_agreement_and_a_presence(live_session, capture_live_events):
    with capture_live_events() as events:
        with pytest.raises(services.InvalidInput, match="community agreement"):
            services.join_session(live_session=live_session, presence="room", agreed=False)
        with pytest.raises(services.InvalidInput, match="in the room or joining remotely"):
            services.join_session(live_session=live_session, presence="moon", agreed=True)

    assert not Participant.objects.exists()
    assert events == []


def test_join_refuses_display_names_when_the_session_is_pseudonymous(live_session):
    live_session.allow_display_names = False
    live_session.save()

    with pytest.raises(services.InvalidInput, match="pseudonyms only"):
        services.join_session(
            live_session=live_session, presence="room", agreed=True, display_name="Ada"
        )


def test_join_is_rate_limited_per_browser_without_any_ip(live_session):
    for _ in range(services.JOINS_PER_MINUTE_PER_BROWSER):
        services.join_session(
            live_session=live_session, presence="room", agreed=True, browser_key="browser-1"
        )

    with pytest.raises(services.TooFast, match="wait"):
        services.join_session(
            live_session=live_session, presence="room", agreed=True, browser_key="browser-1"
        )
    services.join_session(
        live_session=live_session, presence="room", agreed=True, browser_key="browser-2"
    )
    assert Participant.objects.count() == services.JOINS_PER_MINUTE_PER_BROWSER + 1


def test_pseudonyms_are_unique_within_a_session(live_session):
    names = {
        services.join_session(live_session=live_session, presence="room", agreed=True)[0].pseudonym
        for _ in range(5)
    }

    assert len(names) == 5


# --- needs -----------------------------------------------------------------------------------


def test_post_need_cleans_text_and_broadcasts_after_commit(
    participant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        need = services.post_need(
            participant=participant,
            text="  Safer visibility\x00 for trans creators  ",
            context="TikTok",
        )

    assert need.text == "Safer visibility for trans creators"
    assert need.status == ContributionStatus.VISIBLE
    # The merge suggestions are refreshed first, so the broadcast's dashboard shows them.
    assert [callback.__name__ for callback in callbacks] == [
        "refresh_merge_suggestions_after_commit",
        "publish_after_commit",
    ]
    # The sequence moves on after the commit (votes do not queue on the session's row), before
    # the push that carries it.
    assert LiveSession.objects.get(pk=participant.live_session_id).sequence == 0
    for callback in callbacks:
        callback()
    assert LiveSession.objects.get(pk=participant.live_session_id).sequence == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "cannot be empty"), ("x" * 281, "too long: 281 characters, at most 280")],
)
def test_post_need_refuses_bad_text(participant, text, message, capture_live_events):
    with capture_live_events() as events, pytest.raises(services.InvalidInput, match=message):
        services.post_need(participant=participant, text=text)

    assert not Need.objects.exists()
    assert events == []


def test_post_need_refused_outside_the_needs_phases_and_when_locked(participant, live_session):
    set_phase(live_session, Phase.VOTING)
    with pytest.raises(services.PhaseClosed, match="Voting phase"):
        services.post_need(participant=participant, text="A need")

    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.NEEDS, input_locked=True)
    with pytest.raises(services.PhaseClosed, match="paused input"):
        services.post_need(participant=participant, text="A need")

    assert not Need.objects.exists()


def test_post_need_waits_for_moderation_when_the_session_premoderates(
    participant, live_session, capture_live_events
):
    LiveSession.objects.filter(pk=live_session.pk).update(premoderation=True)

    with capture_live_events() as events:
        need = services.post_need(participant=participant, text="A need")

    assert need.status == ContributionStatus.PENDING
    assert events == [event_of("need_posted", live_session.pk, {"need_id": need.pk})]


def test_posting_is_rate_limited_with_a_clear_message(participant):
    for n in range(services.NEEDS_PER_MINUTE):
        services.post_need(participant=participant, text=f"Need {n}")

    with pytest.raises(services.TooFast, match="going a little fast"):
        services.post_need(participant=participant, text="One too many")

    assert Need.objects.count() == services.NEEDS_PER_MINUTE


def test_only_the_author_can_edit_or_delete_a_need(participant, live_session, capture_live_events):
    need = NeedFactory(author=participant)
    stranger = ParticipantFactory(live_session=live_session)

    with capture_live_events() as refused:
        with pytest.raises(services.NotYours):
            services.edit_need(participant=stranger, need=need, text="Hijacked")
        with pytest.raises(services.NotYours):
            services.delete_need(participant=stranger, need=need)
    with capture_live_events() as edited:
        services.edit_need(participant=participant, need=need, text="Clearer need")

    need.refresh_from_db()
    assert (need.text, need.edited) == ("Clearer need", True)
    assert refused == []
    assert edited == [event_of("need_edited", live_session.pk, {"need_id": need.pk})]


def test_deleting_a_need_is_allowed_in_any_phase_and_takes_its_votes(
    participant, live_session, capture_live_events
):
    need = NeedFactory(author=participant)
    need_id = need.pk
    VoteFactory(participant=ParticipantFactory(live_session=live_session), need=need, dots=2)
    set_phase(live_session, Phase.WRAPUP)

    with capture_live_events() as events:
        services.delete_need(participant=participant, need=need)

    assert not Need.objects.exists() and not Vote.objects.exists()
    assert events == [event_of("need_withdrawn", live_session.pk, {"need_id": need_id})]


# --- mapping ---------------------------------------------------------------------------------


def test_map_need_onto_several_strategies_and_skip_existing_pairs(
    participant, live_session, strategies, capture_live_events
):
    set_phase(live_session, Phase.MAPPING)
    need = NeedFactory(author=ParticipantFactory(live_session=live_session))

    with capture_live_events() as events:
        first = services.map_need(
            participant=participant, need=need, strategies=strategies[:2], reason="Because"
        )
        second = services.map_need(participant=participant, need=need, strategies=strategies)
        nothing_new = services.map_need(participant=participant, need=need, strategies=strategies)

    assert [m.strategy for m in first] == strategies[:2]
    assert [m.strategy for m in second] == strategies[2:]
    assert nothing_new == []
    assert Mapping.objects.filter(need=need).count() == 3
    assert events == [
        event_of(
            "need_mapped",
            live_session.pk,
            {"need_id": need.pk, "mapping_ids": [m.pk for m in created]},
        )
        for created in (first, second)
    ]


def test_map_need_refuses_a_strategy_of_another_taxonomy(
    participant, live_session, capture_live_events
):
    set_phase(live_session, Phase.MAPPING)
    need = NeedFactory(author=participant)
    foreign = StrategyFactory(category__taxonomy=TaxonomyFactory(slug="another"))

    with (
        capture_live_events() as events,
        pytest.raises(services.InvalidInput, match="not part of this session"),
    ):
        services.map_need(participant=participant, need=need, strategies=[foreign])

    assert not Mapping.objects.exists()
    assert events == []


def test_map_need_refuses_a_hidden_need(participant, live_session, strategies):
    set_phase(live_session, Phase.MAPPING)
    need = NeedFactory(author=participant, status=ContributionStatus.HIDDEN)

    with pytest.raises(services.InvalidInput, match="not available"):
        services.map_need(participant=participant, need=need, strategies=strategies[:1])


# --- dot voting ------------------------------------------------------------------------------


@pytest.fixture
def voting(live_session):
    LiveSession.objects.filter(pk=live_session.pk).update(
        phase=Phase.VOTING, dot_budget=5, dot_cap=3
    )
    live_session.refresh_from_db()
    return live_session


def test_dots_respect_the_per_item_cap(participant, voting, capture_live_events):
    need = NeedFactory(live_session=voting, author=ParticipantFactory(live_session=voting))
    with capture_live_events() as events:
        for _ in range(3):
            services.add_dot(participant=participant, need=need)

        with pytest.raises(services.CapReached, match="At most 3 dots"):
            services.add_dot(participant=participant, need=need)

    assert Vote.objects.get(participant=participant, need=need).dots == 3
    dots = event_of("dots_changed", voting.pk, {"need_id": need.pk, "mapping_id": None})
    assert events == [dots] * 3  # the refused fourth dot tells no screen


def test_dots_never_exceed_the_budget_across_needs_and_mappings(participant, voting):
    author = ParticipantFactory(live_session=voting)
    needs = NeedFactory.create_batch(2, author=author)
    mapping = MappingFactory(need=needs[0])
    services.add_dot(participant=participant, need=needs[0])
    services.add_dot(participant=participant, need=needs[0])
    services.add_dot(participant=participant, need=needs[1])
    services.add_dot(participant=participant, mapping=mapping)
    services.add_dot(participant=participant, mapping=mapping)

    with pytest.raises(services.BudgetExhausted, match="all 5 of your dots"):
        services.add_dot(participant=participant, need=needs[1])

    assert queries.dots_in(queries.personal_dots(participant)) == 5


def test_a_vote_hands_back_what_the_participant_now_holds(participant, voting):
    """The answer to a vote shows the participant's dots from what the service returns, without
    reading them again: it must be what is stored, on every item."""
    author = ParticipantFactory(live_session=voting)
    needs = NeedFactory.create_batch(2, author=author)
    mapping = MappingFactory(need=needs[0])
    services.add_dot(participant=participant, need=needs[0])
    services.add_dot(participant=participant, mapping=mapping)
    held = services.add_dot(participant=participant, need=needs[0])
    assert held == queries.personal_dots(participant)
    assert held == {"need": {needs[0].pk: 2}, "mapping": {mapping.pk: 1}}

    held = services.remove_dot(participant=participant, mapping=mapping)
    assert held == queries.personal_dots(participant) == {"need": {needs[0].pk: 2}, "mapping": {}}
    # Taking back a dot that is not there changes nothing and still says what is held.
    assert services.remove_dot(participant=participant, need=needs[1]) == held


def test_removing_a_dot_frees_budget_and_deletes_empty_votes(
    participant, voting, capture_live_events
):
    need = NeedFactory(live_session=voting, author=participant)
    mapping = MappingFactory(need=need)
    services.add_dot(participant=participant, need=need)
    services.add_dot(participant=participant, mapping=mapping)

    with capture_live_events() as events:
        assert services.remove_dot(participant=participant, need=need)["need"].get(need.pk, 0) == 0
        assert services.remove_dot(participant=participant, need=need)["need"].get(need.pk, 0) == 0
        left = services.remove_dot(participant=participant, mapping=mapping)
        assert left["mapping"].get(mapping.pk, 0) == 0
    assert not Vote.objects.exists()
    assert events == [  # taking back nothing changes nothing on any screen
        event_of("dots_changed", voting.pk, {"need_id": need.pk, "mapping_id": None}),
        event_of("dots_changed", voting.pk, {"need_id": need.pk, "mapping_id": mapping.pk}),
    ]


def test_voting_is_refused_outside_the_voting_phase(participant, live_session):
    need = NeedFactory(author=participant)

    with pytest.raises(services.PhaseClosed):
        services.add_dot(participant=participant, need=need)


def test_cannot_vote_on_another_sessions_need(participant, voting):
    foreign_need = NeedFactory()

    with pytest.raises(services.InvalidInput, match="not available"):
        services.add_dot(participant=participant, need=foreign_need)


# --- gaps ------------------------------------------------------------------------------------


def test_gap_on_a_mapping_records_its_strategy(participant, live_session, capture_live_events):
    set_phase(live_session, Phase.GAPS)
    mapping = MappingFactory(need__author=participant)

    with capture_live_events() as events:
        note = services.annotate_gap(
            participant=participant,
            mapping=mapping,
            kind="no_research",
            text="Nobody studied this.",
        )

    assert (note.strategy, note.mapping, note.kind) == (mapping.strategy, mapping, "no_research")
    assert events == [
        event_of(
            "gap_noted",
            live_session.pk,
            {"gap_note_id": note.pk, "strategy_id": mapping.strategy_id},
        )
    ]


def test_gap_refuses_unknown_kinds_and_empty_text(participant, live_session, strategies):
    set_phase(live_session, Phase.GAPS)

    with pytest.raises(services.InvalidInput, match="kind of gap"):
        services.annotate_gap(participant=participant, strategy=strategies[0], kind="x", text="t")
    with pytest.raises(services.InvalidInput, match="cannot be empty"):
        services.annotate_gap(
            participant=participant, strategy=strategies[0], kind="other", text=""
        )

    assert not GapNote.objects.exists()


# --- withdrawal ------------------------------------------------------------------------------


def test_erasing_a_participant_removes_everything_they_contributed(
    participant, voting, capture_live_events
):
    other = ParticipantFactory(live_session=voting)
    own_need = NeedFactory(author=participant)
    others_need = NeedFactory(author=other)
    own_mapping_on_others_need = MappingFactory(need=others_need, author=participant)
    VoteFactory(participant=participant, need=others_need, dots=2)
    VoteFactory(participant=other, need=own_need, dots=1)
    VoteFactory(participant=other, mapping=own_mapping_on_others_need, dots=1)

    with capture_live_events() as events:
        services.erase_participant(participant=participant)

    assert not Participant.objects.filter(pk=participant.pk).exists()
    assert list(Need.objects.all()) == [others_need]
    assert not Mapping.objects.exists()
    # The other participant's dots on erased items are gone, so their budget is free again.
    assert queries.dots_in(queries.personal_dots(other)) == 0
    assert events == [
        event_of(
            "participant_erased",
            voting.pk,
            {"written": [own_need.pk], "touched": [others_need.pk]},
        )
    ]


def test_a_removed_participant_cannot_write(participant):
    from django.utils import timezone

    Participant.objects.filter(pk=participant.pk).update(removed_at=timezone.now())

    with pytest.raises(services.ParticipantRemoved):
        services.post_need(participant=participant, text="Still here?")
