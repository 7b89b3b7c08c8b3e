"""Every facilitator action can be undone without loss (issue 21): a removal gives back the
person's dots, a merge gives back the duplicate with its mappings, dots and gap notes, and an
undo after later actions gives back what it can without creating a dot or passing a budget or
a cap. The dashboard offers each undo where the facilitator acted (the toast, the log line),
behind CSRF and the session's facilitator permission, and says in words what happened."""

import html

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sessions import queries, services
from sessions.enums import ContributionStatus, Phase
from sessions.exports.scope import ExportOptions, ExportScope
from sessions.live.kinds import event_of
from sessions.models import (
    GapNote,
    LiveSession,
    Mapping,
    MergeSuggestion,
    ModerationAction,
    Need,
    Vote,
)
from sessions.moderation_log import log_lines
from sessions.queries import stats
from tests.factories import (
    GapNoteFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
VISIBLE, HIDDEN, MERGED = (
    ContributionStatus.VISIBLE,
    ContributionStatus.HIDDEN,
    ContributionStatus.MERGED,
)


def toast(response) -> str:
    """The toast's words, as read (entities decoded)."""
    return html.unescape(
        response.text.split('id="flash" class="toast-region"')[1].split("</div>")[0]
    )


def state(session) -> list:
    """What a session holds, row by row (pks aside where an undo may make a new row)."""
    return [
        sorted(rows, key=lambda row: [(value is None, value or 0) for value in row])
        for rows in _rows(session)
    ]


def _rows(session) -> list:
    return [
        list(Need.objects.filter(live_session=session).values_list("pk", "status")),
        list(
            Mapping.objects.filter(live_session=session).values_list(
                "pk", "need_id", "strategy_id", "status"
            )
        ),
        list(
            Vote.with_hidden.filter(live_session=session).values_list(
                "participant_id", "need_id", "mapping_id", "dots", "hidden"
            )
        ),
        list(GapNote.objects.filter(live_session=session).values_list("pk", "mapping_id")),
    ]


@pytest.fixture
def voting(live_session):
    LiveSession.objects.filter(pk=live_session.pk).update(
        phase=Phase.VOTING, dot_budget=8, dot_cap=3
    )
    live_session.refresh_from_db()
    return live_session


# --- removal ---------------------------------------------------------------------------------


def test_undoing_a_removal_gives_back_the_persons_dots_even_after_voting_closed(
    voting, facilitator
):
    """Issue 21: the overview went from 19 to 14 dots after a removal and its undo, and the
    person could not place them again once voting had closed."""
    person = ParticipantFactory(live_session=voting, pseudonym="Bright Otter")
    others = NeedFactory.create_batch(2, author=ParticipantFactory(live_session=voting))
    own = NeedFactory(author=person)
    mapping = MappingFactory(need=others[0], strategy=voting.taxonomy.strategies.first())
    VoteFactory(participant=person, need=others[0], dots=3)
    VoteFactory(participant=person, need=others[1], dots=1)
    VoteFactory(participant=person, mapping=mapping, dots=1)
    VoteFactory(participant=ParticipantFactory(live_session=voting), need=own, dots=2)
    before = queries.activity(voting)["dots"], queries.dots_in(queries.personal_dots(person))
    entry = services.remove_participant(actor=facilitator, participant=person)
    assert queries.activity(voting)["dots"] == 0  # theirs hidden, and the dots on their need
    LiveSession.objects.filter(pk=voting.pk).update(phase=Phase.GAPS)  # voting has closed

    services.undo(actor=facilitator, entry=entry)

    after = queries.activity(voting)["dots"], queries.dots_in(queries.personal_dots(person))
    assert after == before == (7, 5)
    assert queries.hybrid_balance(voting)["dots"]["total"] == 7


def test_a_removed_persons_dots_count_nowhere_while_they_are_removed(workshop):
    session = workshop.session
    facilitator = get_user_model().objects.create_user("ada")
    person = workshop.people["sam"]
    counted_before = stats.contribution_counts(stats.Visibility(session))["dots"]
    export_before = ExportScope(session, ExportOptions(include_hidden=True)).counts["dots"]

    services.remove_participant(actor=facilitator, participant=person)

    # Sam's 1 dot on "vanish" and 2 on its mapping: in no count, budget, ranking or export.
    assert stats.contribution_counts(stats.Visibility(session))["dots"] == counted_before - 3
    assert ExportScope(session, ExportOptions(include_hidden=True)).counts["dots"] == (
        export_before - 3
    )
    assert queries.personal_dots(person) == {"need": {}, "mapping": {}}
    assert queries.need_ranking(session).dots_placed == 2 + 3 + 1 + 1 + 0  # ada, remy, gone
    assert Vote.with_hidden.filter(participant=person, hidden=True).count() == 2


# --- merges ----------------------------------------------------------------------------------


@pytest.fixture
def pair(voting):
    """Two needs alike with dots (Bright Otter on both), mappings (one strategy on both, one
    only on the duplicate) and a gap note on the duplicate's shared mapping."""
    strategies = StrategyFactory.create_batch(2, category__taxonomy=voting.taxonomy)
    author = ParticipantFactory(live_session=voting)
    keep = NeedFactory(author=author, text="Safe streaming")
    duplicate = NeedFactory(author=author, text="Safer streams")
    otter = ParticipantFactory(live_session=voting, pseudonym="Bright Otter")
    heron = ParticipantFactory(live_session=voting, pseudonym="Calm Heron")
    VoteFactory(participant=otter, need=keep, dots=2)
    VoteFactory(participant=otter, need=duplicate, dots=2)
    VoteFactory(participant=heron, need=duplicate, dots=1)
    kept_mapping = MappingFactory(need=keep, strategy=strategies[0])
    folded = MappingFactory(need=duplicate, strategy=strategies[0])
    moved = MappingFactory(need=duplicate, strategy=strategies[1])
    VoteFactory(participant=heron, mapping=folded, dots=2)
    VoteFactory(participant=heron, mapping=kept_mapping, dots=2)
    note = GapNoteFactory(author=heron, strategy=strategies[0], mapping=folded)
    return {
        "session": voting,
        "keep": keep,
        "duplicate": duplicate,
        "otter": otter,
        "heron": heron,
        "kept_mapping": kept_mapping,
        "folded": folded,
        "moved": moved,
        "note": note,
    }


def test_undoing_a_merge_at_once_gives_back_exactly_what_was(pair, facilitator):
    session = pair["session"]
    before = state(session)
    result = services.merge_needs(actor=facilitator, keep=pair["keep"], duplicate=pair["duplicate"])
    # 2 + 2 for Bright Otter and 2 + 2 for Calm Heron's mapping dots, on a cap of 3.
    assert (result.dots.moved, result.dots.returned) == (
        3,
        [("Bright Otter", 1), ("Calm Heron", 1)],
    )

    done = services.undo(actor=facilitator, entry=result.entry)

    assert state(session) == before
    assert done.entry.undone_at is not None
    assert (done.dots.moved, done.dots.returned, done.dots.kept) == (
        3,
        [("Bright Otter", 1), ("Calm Heron", 1)],
        [],
    )


def test_an_undo_keeps_what_people_did_since_and_never_passes_a_budget_or_a_cap(pair, facilitator):
    session, otter, heron = pair["session"], pair["otter"], pair["heron"]
    keep, duplicate = pair["keep"], pair["duplicate"]
    LiveSession.objects.filter(pk=session.pk).update(dot_budget=4)
    result = services.merge_needs(actor=facilitator, keep=keep, duplicate=duplicate)
    # Since the merge: Bright Otter spends the dot the cap returned elsewhere; Calm Heron
    # takes one back from the kept need.
    elsewhere = NeedFactory(author=pair["heron"])
    services.add_dot(participant=otter, need=elsewhere)
    services.remove_dot(participant=heron, need=keep)
    assert Vote.objects.get(participant=otter, need=keep).dots == 3

    done = services.undo(actor=facilitator, entry=result.entry)

    # Otter: 1 moved back; the returned one stays where they put it (budget 4: 2 + 1 + 1).
    assert Vote.objects.get(participant=otter, need=keep).dots == 2
    assert Vote.objects.get(participant=otter, need=duplicate).dots == 1
    assert Vote.objects.get(participant=otter, need=elsewhere).dots == 1
    # Heron had moved 1 onto the kept need and took 1 back since: nothing left to move back.
    assert not Vote.objects.filter(participant=heron, need__in=[keep, duplicate]).exists()
    assert done.dots.kept == [("Bright Otter", 1)]
    for person in (otter, heron):
        assert queries.dots_in(queries.personal_dots(person)) <= 4
    assert all(vote.dots <= 3 for vote in Vote.with_hidden.all())


def test_merges_on_one_need_are_undone_latest_first(pair, facilitator):
    keep = pair["keep"]
    third = NeedFactory(author=keep.author, text="Streams that are safe")
    first = services.merge_needs(actor=facilitator, keep=keep, duplicate=pair["duplicate"])
    second = services.merge_needs(actor=facilitator, keep=keep, duplicate=third)

    with pytest.raises(services.Conflict, match="First undo the later merge of “Streams"):
        services.undo(actor=facilitator, entry=first.entry)

    services.undo(actor=facilitator, entry=second.entry)
    services.undo(actor=facilitator, entry=first.entry)
    assert set(Need.objects.values_list("status", flat=True)) == {VISIBLE}


def test_a_merge_into_a_need_already_merged_away_is_refused_in_words(pair, facilitator):
    keep, duplicate = pair["keep"], pair["duplicate"]
    other = get_user_model().objects.create_user("sam", first_name="Sam")
    pair["session"].facilitators.add(other)
    services.merge_needs(actor=facilitator, keep=keep, duplicate=duplicate)
    before = state(pair["session"])

    # The other facilitator's crossed merge, from a dashboard that had not refreshed yet.
    with pytest.raises(services.Conflict) as refused:
        services.merge_needs(actor=other, keep=duplicate, duplicate=keep)
    assert str(refused.value) == (
        "“Safer streams” was just merged into “Safe streaming” by another facilitator."
    )
    with pytest.raises(services.Conflict, match="You just merged “Safer streams”"):
        services.merge_needs(actor=facilitator, keep=duplicate, duplicate=keep)
    assert state(pair["session"]) == before


def test_withdrawing_the_kept_need_gives_the_duplicate_back_with_what_moved(pair, facilitator):
    keep, duplicate = pair["keep"], pair["duplicate"]
    services.merge_needs(actor=facilitator, keep=keep, duplicate=duplicate)

    services.delete_need(participant=keep.author, need=keep)

    duplicate.refresh_from_db()
    assert duplicate.status == VISIBLE
    assert set(Mapping.objects.filter(need=duplicate).values_list("pk", "status")) == {
        (pair["folded"].pk, VISIBLE),
        (pair["moved"].pk, VISIBLE),
    }
    assert GapNote.objects.get(pk=pair["note"].pk).mapping_id == pair["folded"].pk
    assert Vote.objects.get(participant=pair["heron"], need=duplicate).dots == 1
    assert Vote.objects.get(participant=pair["otter"], need=duplicate).dots == 1  # the moved one


def test_withdrawing_a_mapping_others_were_folded_into_unfolds_them(pair, facilitator):
    keep, folded, kept_mapping = pair["keep"], pair["folded"], pair["kept_mapping"]
    result = services.merge_needs(actor=facilitator, keep=keep, duplicate=pair["duplicate"])

    services.delete_mapping(participant=kept_mapping.author, mapping=kept_mapping)

    folded.refresh_from_db()
    # The folded mapping stands in for the withdrawn one, with its gap note and the dot that
    # moved (its other dot the cap had returned to Calm Heron's budget).
    assert (folded.need_id, folded.status) == (keep.pk, VISIBLE)
    assert GapNote.objects.get(pk=pair["note"].pk).mapping_id == folded.pk
    assert Vote.objects.get(participant=pair["heron"], mapping=folded).dots == 1
    # ... and an undo of the merge takes it back to the duplicate.
    services.undo(actor=facilitator, entry=result.entry)
    folded.refresh_from_db()
    assert (folded.need_id, folded.status) == (pair["duplicate"].pk, VISIBLE)


def test_a_vote_or_a_mapping_on_a_merged_need_is_refused_saying_where_it_went(pair, facilitator):
    services.merge_needs(actor=facilitator, keep=pair["keep"], duplicate=pair["duplicate"])

    with pytest.raises(services.Conflict, match="merged this need into “Safe streaming”"):
        services.add_dot(participant=pair["heron"], need=pair["duplicate"])
    LiveSession.objects.filter(pk=pair["session"].pk).update(phase=Phase.MAPPING)
    with pytest.raises(services.Conflict, match="merged this need into “Safe streaming”"):
        services.map_need(
            participant=pair["heron"], need=pair["duplicate"], strategies=[pair["moved"].strategy]
        )


# --- corrections, moderation, suggestions ------------------------------------------------------


def test_a_correction_the_author_edited_since_is_not_undone_over_their_words(
    live_session, facilitator
):
    author = ParticipantFactory(live_session=live_session)
    need = NeedFactory(author=author, text="Safer visiblity")
    services.correct_need(actor=facilitator, need=need, text="Safer visibility", context="")
    services.edit_need(participant=author, need=need, text="Safer visibility for us")

    with pytest.raises(services.Conflict, match="changed since the correction"):
        services.undo(actor=facilitator, entry=ModerationAction.objects.get(action="edit"))

    need.refresh_from_db()
    assert need.text == "Safer visibility for us"


def test_undoing_a_hide_shows_it_again_once_and_not_over_a_later_decision(
    live_session, facilitator, capture_live_events
):
    need = NeedFactory(author=ParticipantFactory(live_session=live_session))
    hidden = services.moderate(actor=facilitator, contribution=need, status=HIDDEN)

    with capture_live_events() as events:
        services.undo(actor=facilitator, entry=hidden)
    with pytest.raises(services.Conflict, match="just undone by another facilitator"):
        services.undo(actor=facilitator, entry=hidden)

    need.refresh_from_db()
    assert need.status == VISIBLE
    assert events == [
        event_of("need_moderated", live_session.pk, {"status": "visible", "need_id": need.pk})
    ]
    hidden_again = services.moderate(actor=facilitator, contribution=need, status=HIDDEN)
    services.moderate(actor=facilitator, contribution=need, status=VISIBLE)
    with pytest.raises(services.Conflict, match="changed it since"):
        services.undo(actor=facilitator, entry=hidden_again)


def test_undoing_a_dismissal_suggests_the_pair_again(live_session, facilitator):
    first = NeedFactory(live_session=live_session, text="Know why my posts are hidden")
    NeedFactory(live_session=live_session, text="Know why my posts get hidden!")
    services.refresh_merge_suggestions(live_session=live_session)
    suggestion = MergeSuggestion.objects.get(need=first)
    entry = services.dismiss_merge_suggestion(actor=facilitator, suggestion=suggestion)
    assert queries.merge_suggestions(live_session) == []

    services.undo(actor=facilitator, entry=entry)

    assert queries.merge_suggestions(live_session) == [suggestion]


# --- the dashboard ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "en",
            "Merged “Safer streams” into “Safe streaming”: 3 dots moved, 1 returned to Bright "
            "Otter's budget, 1 returned to Calm Heron's budget.",
        ),
        (
            "fr",
            "“Safer streams” fusionné avec “Safe streaming” : 3 pastilles déplacées, 1 rendue "
            "au budget de Loutre Lumineuse, 1 rendue au budget de Héron Calme.",
        ),
    ],
)
def test_the_merge_toast_and_log_say_what_happened_to_the_dots(
    facilitator_client, pair, language, said
):
    session = pair["session"]
    facilitator_client.cookies["django_language"] = language
    response = facilitator_client.post(
        reverse("sessions:merge", args=[session.code]),
        {"keep": pair["keep"].pk, "duplicate": pair["duplicate"].pk},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert said in toast(response)
    entry = ModerationAction.objects.get(action="merge")
    assert reverse("sessions:undo", args=[session.code, entry.pk]) in toast(response)
    dots = said.split(": " if language == "en" else " : ", 1)[1].rstrip(".")
    with translation.override(language):
        assert log_lines(session)[0].text.endswith(dots)


def test_the_log_line_offers_the_undo_and_says_once_it_is_undone(
    facilitator_client, pair, facilitator
):
    session = pair["session"]
    result = services.merge_needs(actor=facilitator, keep=pair["keep"], duplicate=pair["duplicate"])
    undo_url = reverse("sessions:undo", args=[session.code, result.entry.pk])
    page = facilitator_client.get(reverse("sessions:dashboard", args=[session.code])).text
    assert f'hx-post="{undo_url}"' in page

    undone = facilitator_client.post(undo_url, headers=HTMX)

    assert undone.status_code == 200
    assert "Merge undone: “Safer streams” is a need of its own again: 3 dots moved back" in (
        toast(undone)
    )
    again = facilitator_client.post(undo_url, headers=HTMX)
    assert again.status_code == 409
    assert "just undone by another facilitator" in toast(again)
    page = facilitator_client.get(reverse("sessions:dashboard", args=[session.code])).text
    assert f'hx-post="{undo_url}"' not in page and ">undone<" in page


def test_an_undo_needs_csrf_and_the_sessions_facilitator(pair, facilitator):
    session = pair["session"]
    result = services.merge_needs(actor=facilitator, keep=pair["keep"], duplicate=pair["duplicate"])
    url = reverse("sessions:undo", args=[session.code, result.entry.pk])

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(facilitator)
    assert strict.post(url).status_code == 403
    stranger = Client()
    stranger.force_login(get_user_model().objects.create_user("stranger"))
    assert stranger.post(url).status_code == 403
    # An entry of another session, through this session's URL: not found.
    elsewhere = LiveSessionFactory(code="ELSE34", taxonomy=session.taxonomy)
    elsewhere.facilitators.add(facilitator)
    mine = Client()
    mine.force_login(facilitator)
    assert mine.post(reverse("sessions:undo", args=["ELSE34", result.entry.pk])).status_code == 404
    assert Need.objects.get(pk=pair["duplicate"].pk).status == MERGED


def test_a_merged_away_need_cannot_be_spotlit_corrected_or_hidden(pair, facilitator):
    duplicate = pair["duplicate"]
    services.merge_needs(actor=facilitator, keep=pair["keep"], duplicate=duplicate)
    duplicate.refresh_from_db()

    for action in (
        lambda: services.spotlight(live_session=pair["session"], actor=facilitator, need=duplicate),
        lambda: services.correct_need(actor=facilitator, need=duplicate, text="x", context=""),
        lambda: services.moderate(actor=facilitator, contribution=duplicate, status=HIDDEN),
    ):
        with pytest.raises(services.Conflict, match="You just merged “Safer streams”"):
            action()


def test_the_merge_and_its_undo_tell_the_screens(pair, facilitator, capture_live_events):
    keep, duplicate = pair["keep"], pair["duplicate"]
    with capture_live_events() as events:
        result = services.merge_needs(actor=facilitator, keep=keep, duplicate=duplicate)
        services.undo(actor=facilitator, entry=result.entry)

    details = {"need_id": keep.pk, "duplicate_id": duplicate.pk}
    assert events == [
        event_of("needs_merged", keep.live_session_id, details),
        event_of("merge_undone", keep.live_session_id, details),
    ]


def test_old_log_entries_become_references_without_words(live_session, facilitator):
    """The data migration: an entry of the old log (a "kind-id" target, texts and pseudonyms
    copied into its details) keeps its references and loses the words."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    migration = importlib.import_module(
        "sessions.migrations.0010_moderation_log_keeps_references_only"
    )
    person = ParticipantFactory(live_session=live_session, pseudonym="Bright Otter")
    need = NeedFactory(author=person, text="Corrected text")
    other = NeedFactory(author=person, text="The other need")
    hidden = NeedFactory(author=person, status=HIDDEN)
    person.removed_at = timezone.now()
    person.save()
    suggestion = MergeSuggestion.objects.create(
        live_session=live_session, need=need, other=other, score=90, dismissed_at=timezone.now()
    )
    old = [
        ("edit", f"need-{need.pk}", {"before": {"text": "Old text", "context": ""}}),
        ("merge", f"need-{need.pk}", {"merged": 999, "merged_text": "Gone duplicate"}),
        ("dismiss-merge", f"need-{need.pk}", {"other": other.pk, "other_text": "The other"}),
        (
            "remove",
            f"participant-{person.pk}",
            {"pseudonym": "Bright Otter", "hidden": {"need": {str(hidden.pk): "visible"}}},
        ),
        ("hide", f"need-{need.pk}", {"before": "visible", "after": "hidden"}),
    ]
    for action, target, details in old:
        ModerationAction.objects.create(
            live_session=live_session,
            actor=facilitator,
            action=action,
            target=target,
            details=details,
        )

    migration.to_references(apps, None)

    entries = {e.action: e for e in ModerationAction.objects.all()}
    assert all(e.target in ("need", "participant") for e in entries.values())
    assert entries["edit"].need == need and entries["edit"].correction.text_before == "Old text"
    assert entries["merge"].need == need and entries["merge"].details == {}
    assert (entries["dismiss-merge"].other_need, entries["dismiss-merge"].suggestion) == (
        other,
        suggestion,
    )
    assert entries["remove"].participant == person and entries["remove"].details == {}
    assert entries["hide"].details == {"before": "visible", "after": "hidden"}
    hidden.refresh_from_db()
    assert hidden.status_before_removal == "visible"  # the undo of the removal shows it
    words = str(list(ModerationAction.objects.values_list("target", "details")))
    assert "Bright Otter" not in words and "Gone duplicate" not in words and "999" not in words
