"""Suggested merges: the dashboard offers pairs of needs that look like the same need, written
in English or in French, and none for needs that are merely about the same thing."""

from datetime import timedelta
from unittest.mock import Mock

import pytest

from sessions import queries, services, similarity
from sessions.enums import ContributionStatus, Phase
from sessions.models import MergeSuggestion, ModerationAction, Need
from sessions.similarity import THRESHOLD, similar_pairs
from tests.factories import NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

# Versions of one need (a typo, a reworded or shortened one), in each language.
SAME = [
    ("Safer visibility for trans creators on TikTok", "safer visibilty for trans creators"),
    ("Know why my posts are hidden", "Know why my posts get hidden!"),
    ("Ways to opt out of data collection", "Ways to opt out of data collection by dating apps"),
    (
        "Comprendre pourquoi mes publications sont cachées",
        "Pourquoi mes publications sont-elles cachées ?",
    ),
    (
        "Visibilité plus sûre pour les créatrices trans",
        "Une visibilité plus sure pour les createrices trans",
    ),
]
# Different needs on neighbouring themes: not to be merged.
DISTINCT = [
    "Safer visibility for queer artists",
    "Legal help to contest shadowbans",
    "Stop deadnaming in recommendations",
    "Aide juridique pour contester les suspensions",
    "Des recommandations qui respectent les pronoms",
]


def test_versions_of_one_need_are_paired_in_english_and_in_french():
    texts = [text for pair in SAME for text in pair] + DISTINCT
    needs = list(enumerate(texts, start=1))

    pairs = {(a, b) for a, b, _ in similar_pairs(needs, needs)}

    assert pairs == {(2 * i + 1, 2 * i + 2) for i in range(len(SAME))}


def test_short_or_empty_needs_are_never_paired():
    needs = [(1, "Safety"), (2, "safety!"), (3, "the and of"), (4, "the and of")]

    assert similar_pairs(needs, needs) == []


def needs_of(live_session, texts):
    author = ParticipantFactory(live_session=live_session)
    return [NeedFactory(live_session=live_session, author=author, text=text) for text in texts]


def test_a_refresh_suggests_the_pairs_and_a_second_one_compares_nothing(live_session):
    first, duplicate, distinct = needs_of(live_session, [SAME[0][0], SAME[0][1], DISTINCT[1]])

    compared = services.refresh_merge_suggestions(live_session=live_session)
    again = services.refresh_merge_suggestions(live_session=live_session)

    (suggestion,) = queries.merge_suggestions(live_session)
    assert (compared, again) == (3, 0)
    assert (suggestion.need, suggestion.other) == (first, duplicate)
    assert suggestion.score >= THRESHOLD


def test_a_new_need_is_compared_with_the_ones_already_there(live_session):
    (first,) = needs_of(live_session, [SAME[1][0]])
    services.refresh_merge_suggestions(live_session=live_session)

    (later,) = needs_of(live_session, [SAME[1][1]])
    compared = services.refresh_merge_suggestions(live_session=live_session)

    assert compared == 1
    assert [(s.need, s.other) for s in queries.merge_suggestions(live_session)] == [(first, later)]


def test_a_need_committed_after_a_later_one_was_compared_is_still_compared(live_session):
    """Under a room's concurrent posts, a need's transaction can stamp its ``updated`` before
    another's and commit after the other was already compared."""
    (later,) = needs_of(live_session, [SAME[1][1]])
    services.refresh_merge_suggestions(live_session=live_session)

    (slower,) = needs_of(live_session, [SAME[1][0]])
    # Stamped before the need already compared, as a slower transaction would have been.
    Need.objects.filter(pk=slower.pk).update(updated=later.updated - timedelta(seconds=2))
    compared = services.refresh_merge_suggestions(live_session=live_session)

    assert compared == 1
    (suggestion,) = queries.merge_suggestions(live_session)
    assert {suggestion.need, suggestion.other} == {slower, later}


def test_an_edited_need_is_compared_again(live_session):
    first, second = needs_of(live_session, [SAME[2][0], DISTINCT[2]])
    services.refresh_merge_suggestions(live_session=live_session)
    assert queries.merge_suggestions(live_session) == []

    second.text = SAME[2][1]
    second.save()
    services.refresh_merge_suggestions(live_session=live_session)

    assert [(s.need, s.other) for s in queries.merge_suggestions(live_session)] == [(first, second)]


def test_a_dismissed_pair_is_not_suggested_again_even_after_an_edit(live_session, facilitator):
    first, second = needs_of(live_session, list(SAME[3]))
    services.refresh_merge_suggestions(live_session=live_session)
    (suggestion,) = queries.merge_suggestions(live_session)

    services.dismiss_merge_suggestion(actor=facilitator, suggestion=suggestion)
    second.text = SAME[3][1] + " "
    second.save()
    services.refresh_merge_suggestions(live_session=live_session)

    assert queries.merge_suggestions(live_session) == []
    assert ModerationAction.objects.filter(action="dismiss-merge").count() == 1


def test_merging_a_suggested_pair_leaves_no_suggestion_behind(live_session, facilitator):
    first, second = needs_of(live_session, list(SAME[4]))
    services.refresh_merge_suggestions(live_session=live_session)
    (suggestion,) = queries.merge_suggestions(live_session)

    result = services.merge_needs(
        actor=facilitator, keep=suggestion.need, duplicate=suggestion.other
    )

    assert list(Need.objects.exclude(status=ContributionStatus.MERGED)) == [first]
    assert queries.merge_suggestions(live_session) == []
    services.refresh_merge_suggestions(live_session=live_session)
    assert queries.merge_suggestions(live_session) == []
    # Undone, the pair is suggested again, as it was.
    services.undo(actor=facilitator, entry=result.entry)
    assert [s.pk for s in queries.merge_suggestions(live_session)] == [suggestion.pk]


def test_hidden_needs_are_neither_compared_nor_suggested(live_session, facilitator):
    first, second = needs_of(live_session, list(SAME[0]))
    services.refresh_merge_suggestions(live_session=live_session)

    services.moderate(actor=facilitator, contribution=second, status=ContributionStatus.HIDDEN)

    assert queries.merge_suggestions(live_session) == []


HTMX = {"HX-Request": "true"}


def test_the_dashboard_offers_one_tap_merge_and_dismiss(facilitator_client, live_session):
    from django.urls import reverse

    first, duplicate = needs_of(live_session, list(SAME[1]))
    services.refresh_merge_suggestions(live_session=live_session)  # as after their posting
    dashboard = facilitator_client.get(reverse("sessions:dashboard", args=[live_session.code]))
    (suggestion,) = queries.merge_suggestions(live_session)

    assert "These look like the same need" in dashboard.text
    assert f'id="suggestion-{suggestion.pk}"' in dashboard.text

    dismissed = facilitator_client.post(
        reverse("sessions:dismiss_suggestion", args=[live_session.code, suggestion.pk]),
        headers=HTMX,
    )

    assert dismissed.status_code == 200
    assert "Kept apart" in dismissed.text and "not suggested again" in dismissed.text
    assert f'id="suggestion-{suggestion.pk}"' not in dismissed.text
    assert "kept “Know why my posts are hidden” and “Know why my posts get hidden!” apart" in (
        dismissed.text
    )


def test_a_suggested_pair_merges_in_one_tap(facilitator_client, live_session):
    from django.urls import reverse

    first, duplicate = needs_of(live_session, list(SAME[0]))
    services.refresh_merge_suggestions(live_session=live_session)  # as after their posting
    facilitator_client.get(reverse("sessions:dashboard", args=[live_session.code]))

    merged = facilitator_client.post(
        reverse("sessions:merge", args=[live_session.code]),
        {"keep": first.pk, "duplicate": duplicate.pk},
        headers=HTMX,
    )

    assert merged.status_code == 200
    assert list(Need.objects.exclude(status=ContributionStatus.MERGED)) == [first]
    assert "These look like the same need" not in merged.text


def test_another_sessions_suggestion_cannot_be_dismissed(facilitator_client, live_session):
    from django.urls import reverse

    from tests.factories import LiveSessionFactory

    other = LiveSessionFactory(code="OTHER4", taxonomy=live_session.taxonomy)
    needs_of(other, list(SAME[2]))
    services.refresh_merge_suggestions(live_session=other)
    (suggestion,) = queries.merge_suggestions(other)

    response = facilitator_client.post(
        reverse("sessions:dismiss_suggestion", args=[live_session.code, suggestion.pk]),
        headers=HTMX,
    )

    assert response.status_code == 404
    suggestion.refresh_from_db()
    assert suggestion.dismissed_at is None


def merge_lists(page: str) -> dict[str, str]:
    """The dashboard's two merge lists, by name, as rendered."""
    import re

    return dict(
        re.findall(r'(<select name="(keep|duplicate)".*?</select>)', page, re.S)[i][::-1]
        for i in range(2)
    )


def test_the_merge_form_starts_with_no_need_chosen_in_either_list(facilitator_client, live_session):
    from django.urls import reverse

    first, second = needs_of(live_session, ["Safe streaming", "Legal help"])

    page = facilitator_client.get(reverse("sessions:dashboard", args=[live_session.code])).text

    lists = merge_lists(page)
    for name in ("keep", "duplicate"):
        # The blank first choice is the one shown, and the browser will not submit it.
        assert 'required id="merge-' + name + '"' in lists[name]
        assert '<option value="" selected>Choose a need</option>' in lists[name]
        assert "selected" not in lists[name].split("</option>", 1)[1]
        assert f'<option value="{first.pk}">#{first.pk} Safe streaming</option>' in lists[name]
        assert "data-merge-pair" in lists[name]
    assert "js/merge-form.js" in page


def test_merge_pressed_with_no_need_chosen_asks_for_two_needs(facilitator_client, live_session):
    from django.urls import reverse

    needs_of(live_session, ["Safe streaming", "Legal help"])

    response = facilitator_client.post(
        reverse("sessions:merge", args=[live_session.code]),
        {"keep": "", "duplicate": ""},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert "Choose two needs to merge." in response.text
    assert Need.objects.count() == 2


# --- refreshed by the writes, never by a look ------------------------------------------------

WRITES = ("INSERT", "UPDATE", "DELETE")


def write_queries(queries_run) -> list[str]:
    """The statements among ``queries_run`` that write or take a row lock."""
    return [
        query["sql"]
        for query in queries_run
        if query["sql"].lstrip().upper().startswith(WRITES) or "FOR UPDATE" in query["sql"].upper()
    ]


@pytest.mark.parametrize("region", ["", "controls", "overview", "moderation", "presenting", "door"])
def test_a_look_at_the_dashboard_writes_nothing(facilitator_client, live_session, region):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    needs_of(live_session, list(SAME[1]))  # changed needs no refresh compared yet
    url = reverse("sessions:dashboard", args=[live_session.code])
    facilitator_client.get(url)  # the login's session is saved on a first look

    with CaptureQueriesContext(connection) as looked:
        page = facilitator_client.get(
            url, {"region": region} if region else {}, headers=HTMX if region else {}
        )

    assert page.status_code == 200
    assert write_queries(looked.captured_queries) == []
    assert not MergeSuggestion.objects.exists()


def test_a_near_duplicate_posted_is_suggested_on_the_dashboard(
    facilitator_client, live_session, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    live_session.phase = Phase.NEEDS
    live_session.save()
    first, second = (ParticipantFactory(live_session=live_session) for _ in range(2))
    with django_capture_on_commit_callbacks(execute=True):
        services.post_need(participant=first, text=SAME[1][0])
    with django_capture_on_commit_callbacks(execute=True):
        duplicate = services.post_need(participant=second, text=SAME[1][1])

    dashboard = facilitator_client.get(reverse("sessions:dashboard", args=[live_session.code]))

    (suggestion,) = queries.merge_suggestions(live_session)
    assert suggestion.other == duplicate
    assert "These look like the same need" in dashboard.text
    assert f'id="suggestion-{suggestion.pk}"' in dashboard.text


def test_a_need_edited_or_corrected_into_a_near_duplicate_is_suggested(
    live_session, facilitator, django_capture_on_commit_callbacks
):
    live_session.phase = Phase.NEEDS
    live_session.save()
    first, second, third = needs_of(live_session, [SAME[2][0], DISTINCT[0], DISTINCT[1]])

    with django_capture_on_commit_callbacks(execute=True):
        services.edit_need(participant=second.author, need=second, text=SAME[2][1])
    edited = [(s.need, s.other) for s in queries.merge_suggestions(live_session)]
    with django_capture_on_commit_callbacks(execute=True):
        services.correct_need(actor=facilitator, need=third, text=SAME[2][0] + ".", context="")

    assert edited == [(first, second)]
    assert {(s.need, s.other) for s in queries.merge_suggestions(live_session)} >= {(first, third)}


def test_the_write_that_failed_refreshes_nothing(live_session, django_capture_on_commit_callbacks):
    live_session.phase = Phase.VOTING  # needs can no longer be posted
    live_session.save()
    needs_of(live_session, [SAME[0][0]])
    author = ParticipantFactory(live_session=live_session)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(services.PhaseClosed),
    ):
        services.post_need(participant=author, text=SAME[0][1])

    assert callbacks == []
    assert not MergeSuggestion.objects.exists()


def test_a_need_an_undone_merge_brings_back_is_compared_again(
    live_session, facilitator, django_capture_on_commit_callbacks
):
    keep, duplicate = needs_of(live_session, [DISTINCT[1], SAME[0][0]])
    result = services.merge_needs(actor=facilitator, keep=keep, duplicate=duplicate)
    (later,) = needs_of(live_session, [SAME[0][1]])  # posted while the duplicate was merged
    services.refresh_merge_suggestions(live_session=live_session)
    assert queries.merge_suggestions(live_session) == []

    with django_capture_on_commit_callbacks(execute=True):
        services.undo(actor=facilitator, entry=result.entry)

    assert [(s.need, s.other) for s in queries.merge_suggestions(live_session)] == [
        (duplicate, later)
    ]


def test_a_kept_index_reads_again_only_the_needs_changed_since(live_session, monkeypatch):
    """Each worker keeps the session's needs' features between refreshes: a room posting
    together must not have every refresh read and index every need of the session again."""
    first, second, third = needs_of(live_session, [SAME[1][0], DISTINCT[0], DISTINCT[1]])
    services.refresh_merge_suggestions(live_session=live_session)
    indexed = Mock(wraps=similarity._need)
    monkeypatch.setattr(similarity, "_need", indexed)

    (later,) = needs_of(live_session, [SAME[1][1]])
    third.text = DISTINCT[3]
    third.save()
    services.refresh_merge_suggestions(live_session=live_session)

    assert sorted(call.args[1] for call in indexed.call_args_list) == sorted(
        [SAME[1][1], DISTINCT[3]]
    )
    assert [(s.need, s.other) for s in queries.merge_suggestions(live_session)] == [(first, later)]


def test_a_kept_index_forgets_hidden_needs_and_learns_shown_ones(live_session):
    first, other = needs_of(live_session, [SAME[0][0], DISTINCT[2]])
    services.refresh_merge_suggestions(live_session=live_session)

    # Hidden without its ``updated`` changing (a moderation's save may list only the status).
    Need.objects.filter(pk=first.pk).update(status=ContributionStatus.HIDDEN)
    (duplicate,) = needs_of(live_session, [SAME[0][1]])
    services.refresh_merge_suggestions(live_session=live_session)
    assert not MergeSuggestion.objects.exists()  # not even stored, to show if it came back

    Need.objects.filter(pk=first.pk).update(status=ContributionStatus.VISIBLE)
    (again,) = needs_of(live_session, [SAME[0][1] + "."])
    services.refresh_merge_suggestions(live_session=live_session)
    pairs = {(s.need, s.other) for s in queries.merge_suggestions(live_session)}
    assert pairs >= {(first, again), (duplicate, again)}


def kept_sessions() -> set[int]:
    return set(services.suggestions.need_indexes._indexes)


def test_erasing_a_participant_forgets_what_this_worker_kept_of_their_needs(
    live_session, django_capture_on_commit_callbacks, monkeypatch
):
    """The kept index holds what needs say (their stems): erasure leaves none of it behind in
    the worker that erased, and the next refresh indexes the needs that remain afresh."""
    (theirs,) = needs_of(live_session, [SAME[2][0]])
    (other,) = needs_of(live_session, [DISTINCT[0]])
    services.refresh_merge_suggestions(live_session=live_session)
    assert kept_sessions() == {live_session.pk}

    with django_capture_on_commit_callbacks(execute=True):
        services.erase_participant(participant=theirs.author)

    assert kept_sessions() == set()
    indexed = Mock(wraps=similarity._need)
    monkeypatch.setattr(similarity, "_need", indexed)
    needs_of(live_session, [SAME[2][1]])
    services.refresh_merge_suggestions(live_session=live_session)
    assert sorted(call.args[1] for call in indexed.call_args_list) == sorted(
        [DISTINCT[0], SAME[2][1]]
    )
    assert not MergeSuggestion.objects.exists(), "nothing pairs with an erased need"


def test_an_index_left_idle_goes_at_the_next_refresh_of_any_session(live_session, monkeypatch):
    """A session that ended is refreshed no more: its index does not stay for the worker's
    life."""
    needs_of(live_session, [SAME[0][0], DISTINCT[1]])
    services.refresh_merge_suggestions(live_session=live_session)
    later = ParticipantFactory(live_session__phase=Phase.NEEDS).live_session
    needs_of(later, [SAME[1][0], DISTINCT[2]])
    indexes = services.suggestions.NeedIndexes
    idle = indexes.now() + indexes.IDLE_SECONDS + 1
    monkeypatch.setattr(indexes, "now", staticmethod(lambda: idle))

    services.refresh_merge_suggestions(live_session=later)

    assert kept_sessions() == {later.pk}
