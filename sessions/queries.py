"""Read side of live sessions: what the board, the participant page and the live updates show.

Every function runs a fixed number of queries, whatever the size of the session, and reads
only visible contributions unless it says otherwise."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from sessions.enums import ContributionStatus, GapKind, Presence
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote
from taxonomy.enums import Approach
from taxonomy.models import Category, Strategy

VISIBLE = ContributionStatus.VISIBLE
HEAT_LEVELS = 5  # 0 (nothing mapped) to 4 (the most-demanded strategy)


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
    counts = Participant.objects.filter(
        live_session=live_session, removed_at__isnull=True
    ).aggregate(
        total=Count("pk"),
        in_room=Count("pk", filter=Q(presence=Presence.IN_ROOM)),
        remote=Count("pk", filter=Q(presence=Presence.REMOTE)),
    )
    return counts


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


@dataclass
class StrategyCell:
    strategy: Strategy
    mapping_count: int = 0
    dots: int = 0
    gap_count: int = 0
    needs: list[str] = field(default_factory=list)
    heat: int = 0


@dataclass
class CategoryRow:
    category: Category
    cells: list[StrategyCell]


def grid(live_session: LiveSession) -> list[CategoryRow]:
    """The taxonomy as four rows of strategy cells, each with its mapped needs, dots, gap count
    and a heat level (0-4) relative to the most-demanded strategy (four queries)."""
    strategies = list(
        Strategy.objects.filter(taxonomy_id=live_session.taxonomy_id)
        .select_related("category")
        .order_by("category__position", "position", "name")
    )
    cells = {strategy.pk: StrategyCell(strategy) for strategy in strategies}
    for mapping in (
        Mapping.objects.filter(live_session=live_session, status=VISIBLE, need__status=VISIBLE)
        .annotate(dot_total=_dots_subquery("mapping"))
        .values("strategy_id", "dot_total", "need__text")
        .order_by("-dot_total", "created")
    ):
        cell = cells.get(mapping["strategy_id"])
        if cell is None:
            continue
        cell.mapping_count += 1
        cell.dots += mapping["dot_total"]
        if len(cell.needs) < 3:
            cell.needs.append(mapping["need__text"])
    for row in (
        GapNote.objects.filter(live_session=live_session, status=VISIBLE)
        .values("strategy_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if row["strategy_id"] in cells:
            cells[row["strategy_id"]].gap_count = row["n"]
    demand = [cell.mapping_count + cell.dots for cell in cells.values()]
    top = max(demand, default=0)
    for cell in cells.values():
        score = cell.mapping_count + cell.dots
        cell.heat = 0 if score == 0 else max(1, round(score / top * (HEAT_LEVELS - 1)))
    rows: dict[int, CategoryRow] = {}
    for strategy in strategies:
        row = rows.setdefault(strategy.category_id, CategoryRow(strategy.category, []))
        row.cells.append(cells[strategy.pk])
    return list(rows.values())


def approach_split(live_session: LiveSession) -> list[dict]:
    """Community demand (mappings and their dots) by strategy approach: the workshop's gap."""
    totals = {
        row["strategy__approach"]: row
        for row in Mapping.objects.filter(
            live_session=live_session, status=VISIBLE, need__status=VISIBLE
        )
        .values("strategy__approach")
        .annotate(mappings=Count("pk"))
        .order_by()
    }
    dots = {
        row["mapping__strategy__approach"]: row["dots"]
        for row in Vote.objects.filter(
            live_session=live_session, mapping__isnull=False, mapping__status=VISIBLE
        )
        .values("mapping__strategy__approach")
        .annotate(dots=Sum("dots"))
        .order_by()
    }
    all_mappings = sum(row["mappings"] for row in totals.values())
    split = []
    for approach in Approach:
        mappings = totals.get(approach.value, {}).get("mappings", 0)
        split.append(
            {
                "approach": approach.value,
                "label": approach.label,
                "mappings": mappings,
                "dots": dots.get(approach.value, 0),
                "percent": round(100 * mappings / all_mappings) if all_mappings else 0,
            }
        )
    return split


def gap_notes(live_session: LiveSession) -> list[dict]:
    """Visible gap notes grouped by kind, in the order of GapKind (one query)."""
    grouped = defaultdict(list)
    for note in (
        GapNote.objects.filter(live_session=live_session, status=VISIBLE)
        .select_related("strategy", "mapping__need", "author")
        .order_by("created", "pk")
    ):
        grouped[note.kind].append(note)
    return [
        {"kind": kind.value, "label": kind.label, "notes": grouped[kind.value]}
        for kind in GapKind
        if grouped[kind.value]
    ]


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
    so facilitators see when the room drowns out remote voices."""
    remote = Q(author__presence=Presence.REMOTE)
    counts = participant_counts(live_session)
    need_counts = Need.objects.filter(live_session=live_session, status=VISIBLE).aggregate(
        total=Count("pk"), remote=Count("pk", filter=remote)
    )
    gap_counts = GapNote.objects.filter(live_session=live_session, status=VISIBLE).aggregate(
        total=Count("pk"), remote=Count("pk", filter=remote)
    )
    dot_counts = Vote.objects.filter(live_session=live_session).aggregate(
        total=Coalesce(Sum("dots"), 0),
        remote=Coalesce(Sum("dots", filter=Q(participant__presence=Presence.REMOTE)), 0),
    )

    def share(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    rows = [
        ("participants", counts["remote"], counts["total"]),
        ("needs", need_counts["remote"], need_counts["total"]),
        ("dots", dot_counts["remote"], dot_counts["total"]),
        ("gaps", gap_counts["remote"], gap_counts["total"]),
    ]
    result = {
        name: {"remote": part, "total": whole, "share": share(part, whole)}
        for name, part, whole in rows
    }
    people = result["participants"]["share"]
    # Under-heard: remote people contribute clearly less than their share of the room.
    result["remote_underheard"] = people is not None and any(
        result[name]["share"] is not None and result[name]["share"] + 15 < people
        for name in ("needs", "dots", "gaps")
    )
    return result


def activity(live_session: LiveSession) -> dict:
    """Contributions so far and participants active in the last five minutes."""
    from datetime import timedelta

    from django.utils import timezone

    since = timezone.now() - timedelta(minutes=5)
    return {
        "active": Participant.objects.filter(
            live_session=live_session, removed_at__isnull=True, last_seen_at__gte=since
        ).count(),
        "needs": Need.objects.filter(live_session=live_session, status=VISIBLE).count(),
        "mappings": Mapping.objects.filter(live_session=live_session, status=VISIBLE).count(),
        "dots": Vote.objects.filter(live_session=live_session).aggregate(
            total=Coalesce(Sum("dots"), 0)
        )["total"],
        "gaps": GapNote.objects.filter(live_session=live_session, status=VISIBLE).count(),
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


def board(live_session: LiveSession) -> dict:
    """Everything the projector board shows."""
    return {
        "live_session": live_session,
        "counts": participant_counts(live_session),
        "need_page": needs_page(live_session),
        "grid": grid(live_session),
        "split": approach_split(live_session),
        "gap_groups": gap_notes(live_session),
        "spotlight": spotlight(live_session),
    }
