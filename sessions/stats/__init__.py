"""Statistics of a live session: one read layer for the board, the facilitator dashboard and
the report, so that a number means the same thing wherever it is shown.

Every function reads through a ``Visibility``: which rows count. ``Visibility(live_session)``
is what the board shows: visible contributions on targets that are themselves shown (a visible
mapping of a hidden need is left out, and so are the dots and gap notes on it). An export's
scope (sessions/exports/scope.py) is a Visibility set from its options: by default the same
rows without anything by a participant a facilitator removed, with ``include_hidden`` every
row. Each function runs a fixed number of queries, whatever the size of the session."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Aggregate, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sessions.enums import ContributionStatus, GapKind, Presence
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote
from taxonomy.enums import Approach
from taxonomy.models import Category, Reference, Strategy
from taxonomy.numbers import percent

HEAT_LEVELS = 5  # 0 (nothing mapped) to 4 (the most-demanded strategy)
VISIBLE = ContributionStatus.VISIBLE
CHUNK_SIZE = 2000  # rows fetched per database round trip when a list can be long


class Visibility:
    """The rows of one session that count.

    ``exclude_removed`` also leaves out what a removed participant wrote or voted. Removing
    someone hides all they wrote and their dots (services.remove_participant; hidden votes
    are left out of every read by sessions.models.CountedVotes), so this changes something
    only if a facilitator showed some of it again: the board then shows it, an export does
    not. ``include_hidden``: every row, but for needs and mappings a merge made part of
    another (status MERGED: their dots and gap notes are counted where they moved)."""

    # Whether long reads stream in chunks through a server-side cursor: an export's may be
    # huge and keep memory flat that way; the board's are read again on every push, where the
    # cursor's extra round trips cost more than they save.
    streams = False

    def __init__(
        self,
        live_session: LiveSession,
        *,
        include_hidden: bool = False,
        exclude_removed: bool = False,
    ) -> None:
        self.live_session = live_session
        self.include_hidden = include_hidden
        self.exclude_removed = exclude_removed and not include_hidden

    def rows(self, queryset: QuerySet) -> Iterable:
        """The rows of a long read, streamed if this visibility ``streams``."""
        return queryset.iterator(chunk_size=CHUNK_SIZE) if self.streams else queryset

    def _removed(self) -> QuerySet:
        # A subquery (usually empty) rather than a join to each row's author.
        return Participant.objects.filter(
            live_session=self.live_session, removed_at__isnull=False
        ).values("pk")

    def _included(self, prefix: str = "") -> Q:
        """Rows whose contribution at ``prefix`` is visible (and, with ``exclude_removed``,
        whose author was not removed)."""
        if self.include_hidden:
            return ~Q(**{f"{prefix}status": ContributionStatus.MERGED})
        included = Q(**{f"{prefix}status": VISIBLE})
        if self.exclude_removed:
            included &= ~Q(**{f"{prefix}author__in": self._removed()})
        if prefix:
            # Always true (a target is in its contribution's session), but it lets the
            # database read the joined table by session rather than scan all of it: the
            # board reads these statistics again on every vote.
            included &= Q(**{f"{prefix}live_session": self.live_session})
        return included

    def _voter_included(self) -> Q:
        return ~Q(participant__in=self._removed()) if self.exclude_removed else Q()

    def _on(self, target: str) -> Q:
        """Votes on an included need (``target`` "need") or mapping ("mapping")."""
        on_target = Q(**{f"{target}__isnull": False})
        if target == "mapping":
            return on_target & self._included("mapping__") & self._included("mapping__need__")
        return on_target & self._included("need__")

    def participants(self) -> QuerySet[Participant]:
        queryset = Participant.objects.filter(live_session=self.live_session)
        if not self.include_hidden:
            queryset = queryset.filter(removed_at__isnull=True)
        return queryset.order_by("joined_at", "pk")

    def needs(self) -> QuerySet[Need]:
        return Need.objects.filter(self._included(), live_session=self.live_session).order_by(
            "created", "pk"
        )

    def mappings(self) -> QuerySet[Mapping]:
        return Mapping.objects.filter(
            self._included(), self._included("need__"), live_session=self.live_session
        ).order_by("created", "pk")

    def votes(self, target: str | None = None) -> QuerySet[Vote]:
        """Vote rows by included participants on included needs and mappings, or only on
        ``target`` ("need" or "mapping")."""
        queryset = Vote.objects.filter(live_session=self.live_session).order_by("pk")
        if target is not None:
            return queryset.filter(self._voter_included(), self._on(target))
        if self.include_hidden:
            return queryset
        # Either target, matched by id against the included ones: joining both would make
        # the database read every session's needs and mappings.
        on_either = Q(need__in=self.needs().order_by().values("pk")) | Q(
            mapping__in=self.mappings().order_by().values("pk")
        )
        return queryset.filter(self._voter_included(), on_either)

    def gap_notes(self) -> QuerySet[GapNote]:
        queryset = GapNote.objects.filter(live_session=self.live_session).order_by("created", "pk")
        if self.include_hidden:
            # Not through the Q objects below: Q(...) | Q() is Q(...), not "everything".
            return queryset
        on_mapping = self._included("mapping__") & self._included("mapping__need__")
        return queryset.filter(self._included(), Q(mapping__isnull=True) | on_mapping)

    def dots_on(self, target: str) -> Coalesce:
        """Included dots on each row of a need or mapping queryset (``target``: its field on
        Vote), for ``.annotate()``; the target itself is assumed included."""
        return _total_per(Vote.objects.filter(self._voter_included()), target, Sum("dots"))

    def mapping_count(self) -> Coalesce:
        """Included mappings of each row of a need queryset, for ``.annotate()``."""
        return _total_per(Mapping.objects.filter(self._included()), "need", Count("pk"))


def _total_per(rows: QuerySet, field_name: str, total: Aggregate) -> Coalesce:
    """``total`` over the ``rows`` whose ``field_name`` is the outer row, as a subquery (0
    when there are none), for ``.annotate()``."""
    per_row = (
        rows.filter(**{field_name: OuterRef("pk")})
        .order_by()
        .values(field_name)
        .annotate(total=total)
        .values("total")
    )
    return Coalesce(Subquery(per_row, output_field=IntegerField()), 0)


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
class ApproachShare:
    """Community demand on one approach (platform, model, legal and organising)."""

    approach: str
    label: Promise | str
    needs_mapped: int
    mapping_percent: int
    dots: int
    dot_percent: int


def approach_split(visibility: Visibility) -> list[ApproachShare]:
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
        ApproachShare(
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


# The reveal (demand against the research's attention to the community) is a module of its
# own, built on the functions above; imported last, so that it finds them defined.
from sessions.stats.reveal import HIGH_DEMAND_HEAT as HIGH_DEMAND_HEAT  # noqa: E402
from sessions.stats.reveal import ApproachReveal as ApproachReveal  # noqa: E402
from sessions.stats.reveal import Reveal as Reveal  # noqa: E402
from sessions.stats.reveal import StrategyReveal as StrategyReveal  # noqa: E402
from sessions.stats.reveal import reveal as reveal  # noqa: E402
