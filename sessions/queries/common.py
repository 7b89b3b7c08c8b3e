"""What every live screen reads: needs and their dots, the grid, the split, gap notes, the
spotlight, the phone's own dots, the dashboard's counts and queues.

Every function runs a fixed number of queries, whatever the size of the session, and reads
only visible contributions unless it says otherwise. The statistics (counts, demand per
strategy, heat, splits, gap notes by kind) come from sessions/stats.py, which the report reads
too, with the board's visibility."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import IntegerField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from sessions import stats
from sessions.enums import ContributionStatus
from sessions.models import GapNote, LiveSession, Mapping, MergeSuggestion, Need, Participant, Vote
from taxonomy.models import Category, Strategy

VISIBLE = ContributionStatus.VISIBLE


def _dots_subquery(field_name: str) -> Coalesce:
    dots = (
        Vote.objects.filter(**{field_name: OuterRef("pk")})
        .order_by()
        .values(field_name)
        .annotate(total=Sum("dots"))
        .values("total")
    )
    return Coalesce(Subquery(dots, output_field=IntegerField()), 0)


def participant_counts(live_session: LiveSession) -> dict[str, int]:
    """Participants who were not removed: in all, in the room and remote (one query)."""
    return stats.participant_counts(stats.Visibility(live_session))


def _visible_mappings():
    return (
        Mapping.objects.filter(status=VISIBLE)
        .select_related("strategy", "author")
        .annotate(dot_total=_dots_subquery("mapping"))
        .order_by("created", "pk")
    )


NEEDS_ON_SCREEN = 60  # a phone or the board shows the newest; older ones load on request


@dataclass
class NeedPage:
    needs: list[Need]
    older_than: int | None  # the oldest need shown, when older ones exist


def needs_page(
    live_session: LiveSession,
    *,
    before: int | None = None,
    include_hidden_for=None,
    size: int = NEEDS_ON_SCREEN,
) -> NeedPage:
    """The newest ``size`` needs (older than ``before`` if given), oldest first, so a session
    with thousands of needs never sends them all to a phone (four queries)."""
    status_filter = Q(status=VISIBLE)
    if include_hidden_for is not None:
        status_filter |= Q(author=include_hidden_for, status=ContributionStatus.PENDING)
    ids = Need.objects.filter(status_filter, live_session=live_session)
    if before is not None:
        ids = ids.filter(pk__lt=before)
    newest = list(ids.order_by("-pk").values_list("pk", flat=True)[: size + 1])
    shown = newest[:size]
    page = needs(live_session, ids=shown, include_hidden_for=include_hidden_for)
    return NeedPage(page, older_than=min(shown) if len(newest) > size else None)


def needs(live_session: LiveSession, *, ids=None, include_hidden_for=None) -> list[Need]:
    """Visible needs with their dot totals and visible mappings (three queries).

    ``include_hidden_for``: a participant whose own pending needs are included too."""
    status_filter = Q(status=VISIBLE)
    if include_hidden_for is not None:
        status_filter |= Q(author=include_hidden_for, status=ContributionStatus.PENDING)
    queryset = (
        Need.objects.filter(status_filter, live_session=live_session)
        .select_related("author")
        .annotate(dot_total=_dots_subquery("need"))
        .prefetch_related(Prefetch("mappings", queryset=_visible_mappings()))
        .order_by("created", "pk")
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return list(queryset)


CELL_NEEDS = 3  # the most-voted needs a board cell lists


def grid(live_session: LiveSession) -> list[stats.HeatRow]:
    """The taxonomy as rows of strategy cells (one row per category), each with its demand
    (needs mapped, dots, gap notes, its most-voted mapped needs) and a heat level (0-4)
    relative to the most-demanded strategy; what the board shows (three queries)."""
    demands = stats.strategy_demand(stats.Visibility(live_session), top_needs=CELL_NEEDS)
    return stats.heat_rows(demands)


def approach_split(live_session: LiveSession) -> list[stats.ApproachShare]:
    """Community demand (mappings and their dots) by strategy approach, as the board shows it:
    the workshop's gap (two queries)."""
    return stats.approach_split(stats.Visibility(live_session))


def gap_notes(live_session: LiveSession) -> list[stats.GapGroup]:
    """The gap notes the board shows, grouped by kind in the order of GapKind, with their
    authors (the participant page marks a participant's own; one query)."""
    return stats.gap_groups(stats.Visibility(live_session), with_authors=True)


def strategy_choices(live_session: LiveSession) -> list[Category]:
    """Categories of the session's taxonomy with their strategies, for the mapping picker."""
    return list(
        Category.objects.filter(taxonomy_id=live_session.taxonomy_id)
        .order_by("position", "name")
        .prefetch_related(
            Prefetch("strategies", queryset=Strategy.objects.order_by("position", "name"))
        )
    )


# A participant's own dots: {"need": {need id: dots}, "mapping": {mapping id: dots}}.
PersonalDots = dict[str, dict[int, int]]


def dots_by_item(rows: Iterable[tuple[int | None, int | None, int]]) -> PersonalDots:
    """(need id, mapping id, dots) rows, one per vote, as PersonalDots."""
    mine: PersonalDots = {"need": {}, "mapping": {}}
    for need_id, mapping_id, dots in rows:
        if need_id:
            mine["need"][need_id] = dots
        else:
            mine["mapping"][mapping_id] = dots
    return mine


def personal_dots(participant: Participant) -> PersonalDots:
    """The participant's own dots, by need and by mapping (one query)."""
    return dots_by_item(
        Vote.objects.filter(participant=participant).values_list("need_id", "mapping_id", "dots")
    )


def dots_in(mine: PersonalDots) -> int:
    """How many dots ``personal_dots`` counts in all (the participant's budget used)."""
    return sum(mine["need"].values()) + sum(mine["mapping"].values())


def spotlight(live_session: LiveSession) -> dict:
    """What the facilitators put in the spotlight on the board, if anything."""
    if live_session.spotlight_need_id:
        found = needs(live_session, ids=[live_session.spotlight_need_id])
        if found:
            return {"need": found[0]}
    if live_session.spotlight_strategy_id:
        strategy = Strategy.objects.select_related("category").get(
            pk=live_session.spotlight_strategy_id
        )
        mapped = list(
            Need.objects.filter(
                mappings__strategy=strategy,
                mappings__status=VISIBLE,
                status=VISIBLE,
                live_session=live_session,
            ).order_by("created")[:5]
        )
        return {"strategy": strategy, "mapped_needs": mapped}
    return {}


def hybrid_balance(live_session: LiveSession) -> dict:
    """Remote participants' share of the people against their share of needs, dots and gaps,
    so facilitators see when the room drowns out remote voices (four queries)."""
    result: dict = {}
    for share in stats.presence_split(stats.Visibility(live_session)):
        name = "gaps" if share.key == "gap_notes" else share.key  # the dashboard's name
        result[name] = {
            "remote": share.remote,
            "total": share.total,
            "share": share.remote_percent if share.total else None,
        }
    people = result["participants"]["share"]
    # Under-heard: remote people contribute clearly less than their share of the room.
    result["remote_underheard"] = people is not None and any(
        result[name]["share"] is not None and result[name]["share"] + 15 < people
        for name in ("needs", "dots", "gaps")
    )
    return result


def activity(live_session: LiveSession) -> dict:
    """Contributions the board shows so far, and participants active in the last five
    minutes (five queries)."""
    since = timezone.now() - timedelta(minutes=5)
    counts = stats.contribution_counts(stats.Visibility(live_session))
    return {
        "active": Participant.objects.filter(
            live_session=live_session, removed_at__isnull=True, last_seen_at__gte=since
        ).count(),
        "needs": counts["needs"],
        "mappings": counts["mappings"],
        "dots": counts["dots"],
        "gaps": counts["gap_notes"],
    }


def moderation_queue(live_session: LiveSession) -> dict:
    """Contributions waiting for approval (pre-moderation)."""
    pending = ContributionStatus.PENDING
    return {
        "needs": list(
            Need.objects.filter(live_session=live_session, status=pending).select_related("author")
        ),
        "mappings": list(
            Mapping.objects.filter(live_session=live_session, status=pending).select_related(
                "need", "strategy", "author"
            )
        ),
        "gaps": list(
            GapNote.objects.filter(live_session=live_session, status=pending).select_related(
                "strategy", "author"
            )
        ),
    }


def needs_for_moderation(live_session: LiveSession, limit: int = 300) -> list[Need]:
    """The newest needs, hidden ones too (not those merged into another), with dots and
    mappings, newest first."""
    return list(
        Need.objects.filter(live_session=live_session)
        .exclude(status=ContributionStatus.MERGED)
        .select_related("author")
        .annotate(dot_total=_dots_subquery("need"))
        .prefetch_related(
            Prefetch(
                "mappings",
                queryset=Mapping.objects.exclude(status=ContributionStatus.MERGED).select_related(
                    "strategy", "author"
                ),
            )
        )
        .order_by("-created", "-pk")[:limit]
    )


def merge_suggestions(live_session: LiveSession, limit: int = 10) -> list[MergeSuggestion]:
    """The open merge suggestions whose two needs are both still shown, likeliest first, with
    both needs and their authors (one query)."""
    gone = [ContributionStatus.HIDDEN, ContributionStatus.MERGED]
    return list(
        MergeSuggestion.objects.filter(live_session=live_session, dismissed_at__isnull=True)
        .exclude(need__status__in=gone)
        .exclude(other__status__in=gone)
        .select_related("need__author", "other__author")
        .order_by("-score", "pk")[:limit]
    )
