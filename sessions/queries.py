"""Read side of live sessions: what the board, the participant page, the facilitator
dashboard and the live updates show.

Every function runs a fixed number of queries, whatever the size of the session, and reads
only visible contributions unless it says otherwise. The statistics (counts, demand per
strategy, heat, splits, gap notes by kind) come from sessions/stats.py, which the report reads
too, with the board's visibility."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import IntegerField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from sessions import stats
from sessions.enums import ContributionStatus
from sessions.models import GapNote, LiveSession, Mapping, MergeSuggestion, Need, Participant, Vote
from taxonomy.models import Category, Strategy
from taxonomy.queries import percent

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


def personal_dots(participant: Participant) -> dict[str, dict[int, int]]:
    """The participant's own dots, by need and by mapping (one query)."""
    mine: dict[str, dict[int, int]] = {"need": {}, "mapping": {}}
    for need_id, mapping_id, dots in Vote.objects.filter(participant=participant).values_list(
        "need_id", "mapping_id", "dots"
    ):
        if need_id:
            mine["need"][need_id] = dots
        else:
            mine["mapping"][mapping_id] = dots
    return mine


def dots_in(mine: dict[str, dict[int, int]]) -> int:
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
    """The newest needs, hidden ones too, with dots and mappings, newest first."""
    return list(
        Need.objects.filter(live_session=live_session)
        .select_related("author")
        .annotate(dot_total=_dots_subquery("need"))
        .prefetch_related(
            Prefetch("mappings", queryset=Mapping.objects.select_related("strategy", "author"))
        )
        .order_by("-created", "-pk")[:limit]
    )


# --- what the projector board's screens show (sessions/live/screens.py) ---------------------

NEEDS_ON_BOARD = 40  # newest first; the board shows as many as fit (static/js/board.js)
RANKED_ON_BOARD = 12  # needs, and strategies, in the voting screen's rankings
ARRIVALS_ON_BOARD = 8  # pseudonyms in the lobby's ticker


@dataclass
class NewestNeeds:
    needs: list[Need]  # newest first
    total: int  # all the visible needs


def needs_total(live_session: LiveSession) -> int:
    return Need.objects.filter(live_session=live_session, status=VISIBLE).count()


def newest_needs(live_session: LiveSession, size: int = NEEDS_ON_BOARD) -> NewestNeeds:
    """The newest visible needs, newest first, with how many there are in all (four
    queries)."""
    ids = Need.objects.filter(live_session=live_session, status=VISIBLE).order_by("-pk")
    shown = needs(live_session, ids=list(ids.values_list("pk", flat=True)[:size]))
    return NewestNeeds(sorted(shown, key=lambda need: -need.pk), needs_total(live_session))


def recent_arrivals(live_session: LiveSession, size: int = ARRIVALS_ON_BOARD) -> list:
    """The participants who joined last, newest first (one query)."""
    return list(
        Participant.objects.filter(live_session=live_session, removed_at__isnull=True).order_by(
            "-joined_at", "-pk"
        )[:size]
    )


@dataclass
class Ranked:
    """An item of a ranking, with its bar's length against the first item's (percent)."""

    item: object
    value: int
    bar: int


def _ranked(items: list, values: list[int]) -> list[Ranked]:
    top = max(values, default=0)
    return [
        Ranked(item, value, percent(value, top)) for item, value in zip(items, values, strict=True)
    ]


@dataclass
class NeedRanking:
    needs: list[Ranked]  # the most-dotted visible needs, each ``item`` a Need with dot_total
    dots_placed: int  # by the participants still in the session
    dots_left: int  # of their budgets, in the whole room


def need_ranking(live_session: LiveSession, size: int = RANKED_ON_BOARD) -> NeedRanking:
    """The visible needs with the most dots (ties: the earliest), and the room's dots placed
    and left (three queries)."""
    top = list(
        Need.objects.filter(live_session=live_session, status=VISIBLE)
        .select_related("author")
        .annotate(dot_total=_dots_subquery("need"))
        .filter(dot_total__gt=0)
        .order_by("-dot_total", "created", "pk")[:size]
    )
    people = Participant.objects.filter(live_session=live_session, removed_at__isnull=True)
    placed = (
        Vote.objects.filter(
            live_session=live_session, participant__in=people.values("pk")
        ).aggregate(total=Sum("dots"))["total"]
        or 0
    )
    budget = live_session.dot_budget * people.count()
    return NeedRanking(
        _ranked(top, [need.dot_total for need in top]), placed, max(0, budget - placed)
    )


def strategy_ranking(live_session: LiveSession, size: int = RANKED_ON_BOARD) -> list[Ranked]:
    """The strategies whose mappings have the most dots (then the most needs mapped), each
    ``item`` a StrategyDemand (three queries)."""
    demands = [
        demand
        for demand in stats.strategy_demand(stats.Visibility(live_session))
        if demand.dots or demand.needs_mapped
    ]
    demands.sort(key=lambda demand: (-demand.dots, -demand.needs_mapped))
    top = demands[:size]
    return _ranked(top, [demand.dots for demand in top])


@dataclass
class GapBoard:
    groups: list[stats.GapGroup]  # by kind
    strategies: list[tuple[Strategy, int]]  # the strategies the notes concern, most noted first


def gap_board(groups: list[stats.GapGroup]) -> GapBoard:
    """The gap notes by kind, and the strategies they concern (no query: from ``groups``)."""
    noted: dict[int, list] = {}
    for group in groups:
        for note in group.notes:
            noted.setdefault(note.strategy_id, [note.strategy, 0])[1] += 1
    concerned = sorted(noted.values(), key=lambda pair: -pair[1])
    return GapBoard(groups, [(strategy, count) for strategy, count in concerned])


@dataclass
class WrapUp:
    counts: dict[str, int]
    reveal: stats.Reveal | None  # None until a facilitator reveals the results


def wrap_up(live_session: LiveSession) -> WrapUp:
    """The wrap-up screen: the session in numbers and, once revealed, the reveal (stats)."""
    visibility = stats.Visibility(live_session)
    shown = stats.reveal(visibility) if live_session.results_revealed else None
    return WrapUp(stats.contribution_counts(visibility), shown)


def merge_suggestions(live_session: LiveSession, limit: int = 10) -> list[MergeSuggestion]:
    """The open merge suggestions whose two needs are both still shown, likeliest first, with
    both needs and their authors (one query)."""
    hidden = ContributionStatus.HIDDEN
    return list(
        MergeSuggestion.objects.filter(live_session=live_session, dismissed_at__isnull=True)
        .exclude(need__status=hidden)
        .exclude(other__status=hidden)
        .select_related("need__author", "other__author")
        .order_by("-score", "pk")[:limit]
    )
