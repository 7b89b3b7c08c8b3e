"""Merge suggestions: pairs of needs that look like the same need, kept up to date as needs
are posted and edited, and dismissed by a facilitator who decides they are not duplicates.

Needs are compared with the session's taxonomy's bilingual glossary (sessions/similarity.py), so
a need and its French version are suggested too. Only needs changed since the last refresh are compared (each against the session's other
needs), at most BATCH per refresh, so a refresh stays fast however many needs the session holds
(bench/merge_suggestions.py, docs/performance.md).

A refresh runs after the commit of each service that posts, edits or corrects a need, or shows
one again (moderation, a restored participant, an undone merge or correction):
``refresh_after_commit``, never on a look, so the dashboard only reads. A merge needs none: the
merged need leaves the suggestions as the dashboard reads them (sessions.queries). A
session whose needs were written without the services (an import) catches up BATCH needs per
later write."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sessions.enums import ContributionStatus
from sessions.models import LiveSession, MergeSuggestion, ModerationAction, Need
from sessions.services.common import log, withdrawn_meanwhile
from sessions.similarity import Glossary, similar_pairs
from taxonomy.queries import term_entries

# Changed needs compared per refresh: against 2,000 others, about 0.1 s (1.5 us a pair, plus
# 30 ms to fold the 2,000 texts).
BATCH = 50


def refresh_after_commit(live_session_id: int) -> None:
    """After the caller's transaction commits, compare the needs it posted or changed
    (``refresh_merge_suggestions``). Scheduled before the service's live event, so a dashboard
    redrawn for that event already shows the suggestion. Robust: a failed refresh is logged and
    never turns a saved write into an error; the next write's refresh catches up."""

    def refresh_merge_suggestions_after_commit() -> None:  # named: Django logs it on failure
        refresh_merge_suggestions(live_session=LiveSession(pk=live_session_id))

    transaction.on_commit(refresh_merge_suggestions_after_commit, robust=True)


@transaction.atomic
def refresh_merge_suggestions(*, live_session: LiveSession) -> int:
    """Compare the needs posted or edited since the last refresh with the session's other
    needs (hidden ones aside) and keep the pairs that look alike; returns how many needs were
    compared. A changed need's open suggestions are recomputed; dismissed ones stay dismissed.
    Emits nothing: only the facilitators' dashboard shows suggestions."""
    # One refresh at a time per session: concurrent writes' refreshes must not compare twice.
    live_session = (
        LiveSession.objects.select_for_update()
        .only("pk", "needs_compared_up_to", "taxonomy_id")
        .get(pk=live_session.pk)
    )
    shown = Need.objects.filter(live_session=live_session).exclude(
        status__in=[ContributionStatus.HIDDEN, ContributionStatus.MERGED]
    )
    fresh_needs = shown
    if live_session.needs_compared_up_to is not None:
        fresh_needs = shown.filter(updated__gt=live_session.needs_compared_up_to)
    fresh = list(fresh_needs.order_by("updated", "pk").values_list("pk", "text", "updated")[:BATCH])
    if not fresh:
        return 0
    fresh_ids = [pk for pk, _, _ in fresh]
    others = list(shown.values_list("pk", "text"))
    # The session's taxonomy's glossary and synonyms: "posts" meets "publications".
    glossary = Glossary.from_terms(term_entries(live_session.taxonomy))
    MergeSuggestion.objects.filter(
        Q(need_id__in=fresh_ids) | Q(other_id__in=fresh_ids), dismissed_at__isnull=True
    ).delete()
    MergeSuggestion.objects.bulk_create(
        [
            MergeSuggestion(live_session=live_session, need_id=a, other_id=b, score=score)
            for a, b, score in similar_pairs(
                [(pk, text) for pk, text, _ in fresh], others, glossary=glossary
            )
        ],
        ignore_conflicts=True,  # a pair already dismissed stays as it is
    )
    live_session.needs_compared_up_to = fresh[-1][2]
    live_session.save(update_fields=["needs_compared_up_to"])
    return len(fresh)


@transaction.atomic
def dismiss_merge_suggestion(*, actor, suggestion: MergeSuggestion) -> ModerationAction | None:
    """Not the same need: the pair is no longer suggested (the log points at it, and its undo
    suggests it again). Returns the log entry; dismissing twice is a no-op (None). Refuses
    with Conflict for a suggestion gone with a need erased a moment ago. Emits nothing."""
    suggestion = (
        MergeSuggestion.objects.select_for_update(of=("self",))
        .select_related("need", "other")
        .filter(pk=suggestion.pk)
        .first()
    )
    if suggestion is None:
        raise withdrawn_meanwhile()
    if suggestion.dismissed_at:
        return None
    suggestion.dismissed_at = timezone.now()
    suggestion.save(update_fields=["dismissed_at"])
    return log(
        LiveSession.objects.get(pk=suggestion.live_session_id),
        actor,
        "dismiss-merge",
        "need",
        need=suggestion.need,
        other_need=suggestion.other,
        suggestion=suggestion,
    )
