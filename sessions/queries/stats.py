"""Statistics of a live session, so that a number means the same thing wherever it is shown
(the board, the facilitator dashboard, the report): counts, demand per strategy, heat, the
approach and presence splits, gap notes by kind.

Every function reads through a ``Visibility`` (sessions/queries/visibility.py): which rows
count. Each function runs a fixed number of queries, whatever the size of the session."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sessions.enums import GapKind, Presence
from sessions.models import GapNote
from sessions.queries.visibility import Visibility
from taxonomy.enums import Approach
from taxonomy.models import Category, Reference, Strategy
from taxonomy.numbers import percent

HEAT_LEVELS = 5  # 0 (nothing mapped) to 4 (the most-demanded strategy)


# --- counts ----------------------------------------------------------------------------------


def participant_counts(visibility: Visibility) -> dict[str, int]:
    """Participants in all, in the room and remote (one query)."""
    return visibility.participants().aggregate(
        total=Count("pk"),
        in_room=Count("pk", filter=Q(presence=Presence.IN_ROOM)),
        remote=Count("pk", filter=Q(presence=Presence.REMOTE)),
    )


def contribution_counts(visibility: Visibility) -> dict[str, int]:
    """Needs, mappings, vote rows, dots and gap notes (four queries)."""
    votes = visibility.votes().aggregate(votes=Count("pk"), dots=Coalesce(Sum("dots"), 0))
    return {
        "needs": visibility.needs().count(),
        "mappings": visibility.mappings().count(),
        **votes,
        "gap_notes": visibility.gap_notes().count(),
    }


# --- demand per strategy and the heat map ----------------------------------------------------


@dataclass
class StrategyDemand:
    """A strategy with the needs mapped onto it, the dots on those mappings and its gap notes."""

    strategy: Strategy
    needs_mapped: int = 0
    dots: int = 0
    gap_notes: int = 0
    top_needs: list[str] = field(default_factory=list)  # when asked: the most-voted mapped needs

    @property
    def score(self) -> int:
        """What the heat level measures: needs mapped plus the dots on those mappings."""
        return self.needs_mapped + self.dots

    @property
    def references(self) -> list[Reference]:
        """The strategy's references by number (prefetched by ``with_references``)."""
        return by_number(self.strategy.references.all())


def by_number(references) -> list[Reference]:
    return sorted(references, key=lambda reference: reference.number)


def strategy_demand(
    visibility: Visibility, *, top_needs: int = 0, with_references: bool = False
) -> list[StrategyDemand]:
    """Every strategy of the session's taxonomy in taxonomy order, including those nobody
    mapped onto, with its demand; with ``top_needs``, the texts of that many needs mapped onto
    it whose mappings have the most dots (ties: the earliest first). Three queries, whatever
    the size of the session; four ``with_references``, which prefetches them."""
    strategies = (
        Strategy.objects.filter(taxonomy_id=visibility.live_session.taxonomy_id)
        .select_related("category", "parent")
        .order_by("category__position", "category__name", "position", "name")
    )
    if with_references:
        strategies = strategies.prefetch_related("references")
    demands = {strategy.pk: StrategyDemand(strategy) for strategy in strategies}
    mappings = visibility.mappings().annotate(dot_total=visibility.dots_on("mapping"))
    if top_needs:
        # The most-voted first, so that each strategy's first needs are its top ones.
        rows = mappings.order_by("-dot_total", "created", "pk").values_list(
            "strategy_id", "dot_total", "need__text"
        )
    else:
        rows = mappings.order_by().values_list("strategy_id", "dot_total")
    for strategy_id, dots, *text in visibility.rows(rows):
        demand = demands.get(strategy_id)
        if demand is None:
            continue  # onto a strategy of a taxonomy the session no longer uses
        demand.needs_mapped += 1
        demand.dots += dots
        if text and len(demand.top_needs) < top_needs:
            demand.top_needs.append(text[0])
    for strategy_id, count in (
        visibility.gap_notes().order_by().values_list("strategy_id").annotate(n=Count("pk"))
    ):
        if strategy_id in demands:
            demands[strategy_id].gap_notes = count
    return list(demands.values())


def heat_level(score: int, top: int) -> int:
    """0 for no demand, else 1 to HEAT_LEVELS - 1 relative to the most-demanded strategy."""
    return 0 if score == 0 else max(1, round(score / top * (HEAT_LEVELS - 1)))


@dataclass
class HeatCell:
    demand: StrategyDemand
    heat: int

    @property
    def strategy(self) -> Strategy:
        return self.demand.strategy


@dataclass
class HeatRow:
    """One category of the heat map: its strategies in taxonomy order."""

    category: Category
    cells: list[HeatCell]


def heat_rows(demands: Sequence[StrategyDemand]) -> list[HeatRow]:
    """Strategies by category, each with a heat level relative to the most-demanded one."""
    top = max((demand.score for demand in demands), default=0)
    rows: dict[int, HeatRow] = {}
    for demand in demands:
        category = demand.strategy.category
        row = rows.setdefault(category.pk, HeatRow(category, []))
        row.cells.append(HeatCell(demand, heat_level(demand.score, top)))
    return list(rows.values())


# --- splits ----------------------------------------------------------------------------------


@dataclass
class ApproachDemand:
    """Community demand on one approach (platform, model, legal and organising)."""

    approach: str
    label: Promise | str
    needs_mapped: int
    mapping_percent: int
    dots: int
    dot_percent: int


def approach_split(visibility: Visibility) -> list[ApproachDemand]:
    """Mappings onto the session's taxonomy and their dots by strategy approach, with their
    shares: the workshop's gap (two queries)."""
    taxonomy_id = visibility.live_session.taxonomy_id
    mapped = dict(
        visibility.mappings()
        .filter(strategy__taxonomy_id=taxonomy_id)
        .order_by()
        .values_list("strategy__approach")
        .annotate(n=Count("pk"))
    )
    dots = dict(
        visibility.votes("mapping")
        .filter(mapping__strategy__taxonomy_id=taxonomy_id)
        .order_by()
        .values_list("mapping__strategy__approach")
        .annotate(n=Sum("dots"))
    )
    all_mapped, all_dots = sum(mapped.values()), sum(dots.values())
    return [
        ApproachDemand(
            approach.value,
            approach.label,
            mapped.get(approach.value, 0),
            percent(mapped.get(approach.value, 0), all_mapped),
            dots.get(approach.value, 0),
            percent(dots.get(approach.value, 0), all_dots),
        )
        for approach in Approach
    ]


@dataclass
class PresenceShare:
    """One measure (participants, needs, dots, gap notes) split between room and remote."""

    key: str
    label: Promise | str
    in_room: int
    remote: int

    @property
    def total(self) -> int:
        return self.in_room + self.remote

    @property
    def in_room_percent(self) -> int:
        return percent(self.in_room, self.total)

    @property
    def remote_percent(self) -> int:
        return percent(self.remote, self.total)


def presence_split(visibility: Visibility) -> list[PresenceShare]:
    """Participants, needs, dots and gap notes from the room and from remote participants
    (four queries)."""
    room, remote = Presence.IN_ROOM, Presence.REMOTE
    people = participant_counts(visibility)
    needs = visibility.needs().order_by().values_list("author__presence").annotate(n=Count("pk"))
    dots = (
        visibility.votes().order_by().values_list("participant__presence").annotate(n=Sum("dots"))
    )
    gaps = visibility.gap_notes().order_by().values_list("author__presence").annotate(n=Count("pk"))
    measures = [
        ("participants", _("Participants"), {room: people["in_room"], remote: people["remote"]}),
        ("needs", _("Needs"), dict(needs)),
        ("dots", _("Dots"), dict(dots)),
        ("gap_notes", _("Gap notes"), dict(gaps)),
    ]
    return [
        PresenceShare(key, label, by_presence.get(room) or 0, by_presence.get(remote) or 0)
        for key, label, by_presence in measures
    ]


# --- gap notes -------------------------------------------------------------------------------


@dataclass
class GapGroup:
    kind: str
    label: Promise | str
    notes: list[GapNote]


def gap_groups(visibility: Visibility, *, with_authors: bool = False) -> list[GapGroup]:
    """Gap notes grouped by kind, in the order of GapKind, each with its strategy, mapping and
    need, and its author if asked (one query)."""
    grouped: dict[str, list[GapNote]] = defaultdict(list)
    related = ["strategy", "mapping__need", *(["author"] if with_authors else [])]
    notes = visibility.gap_notes().select_related(*related)
    for note in visibility.rows(notes):
        grouped[note.kind].append(note)
    return [
        GapGroup(kind.value, kind.label, grouped[kind.value])
        for kind in GapKind
        if grouped[kind.value]
    ]
