"""What the projector board's screens show (sessions/live/regions.py), and the room's results
that every phone shows at wrap-up and the results link keeps afterwards. Part of the one read
layer: ``from sessions import queries`` offers these names too."""

from dataclasses import dataclass

from django.db.models import Sum

from sessions.models import GapNote, LiveSession, Need, Participant, Vote
from sessions.queries import stats
from sessions.queries.common import gap_notes, needs
from sessions.queries.reveal import Reveal
from sessions.queries.reveal import reveal as reveal_of
from sessions.queries.visibility import Visibility
from taxonomy.models import Strategy
from taxonomy.numbers import percent

NEEDS_ON_BOARD = 40  # newest first; the board shows as many as fit (static/js/board.js)
RANKED_ON_BOARD = 12  # needs, and strategies, in the voting screen's rankings
ARRIVALS_ON_BOARD = 8  # pseudonyms in the lobby's ticker


@dataclass
class NewestNeeds:
    needs: list[Need]  # newest first
    total: int  # all the visible needs


def needs_total(live_session: LiveSession) -> int:
    return Visibility(live_session).needs().count()


def newest_needs(live_session: LiveSession, size: int = NEEDS_ON_BOARD) -> NewestNeeds:
    """The newest visible needs, newest first, with how many there are in all (four
    queries)."""
    ids = Visibility(live_session).needs().order_by("-pk")
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
    board = Visibility(live_session)
    top = list(
        board.needs()
        .select_related("author")
        .annotate(dot_total=board.dots_on("need"))
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
    reveal: Reveal | None  # None until a facilitator reveals the results


def wrap_up(live_session: LiveSession) -> WrapUp:
    """The wrap-up screen: the session in numbers and, once revealed, the reveal (stats)."""
    visibility = stats.Visibility(live_session)
    shown = reveal_of(visibility) if live_session.results_revealed else None
    return WrapUp(stats.contribution_counts(visibility), shown)


TOP_NEEDS_IN_RESULTS = 5
NOTES_PER_KIND_IN_RESULTS = 3


@dataclass
class RoomResults:
    """What the room mapped, for every phone at wrap-up and the results link kept after it:
    what the board showed, in aggregate; no pseudonym, no name."""

    counts: dict
    top_needs: list[Need]  # the most-dotted visible needs, each with dot_total
    approaches: list  # reveal_of's ApproachReveal: demand by approach (attention once revealed)
    gap_kinds: list["GapKindShown"]
    reveal: object | None  # the reveal, once the facilitators revealed it on the board


@dataclass
class GapKindShown:
    kind: str
    label: object
    count: int
    notes: list[GapNote]  # the first few


def room_results(live_session: LiveSession) -> RoomResults:
    """The room's results through the board's visibility (about fifteen queries)."""
    visibility = Visibility(live_session)
    shown = reveal_of(visibility)
    top = list(
        visibility.needs()
        .annotate(dot_total=visibility.dots_on("need"))
        .filter(dot_total__gt=0)
        .order_by("-dot_total", "created", "pk")[:TOP_NEEDS_IN_RESULTS]
    )
    kinds = [
        GapKindShown(
            group.kind, group.label, len(group.notes), group.notes[:NOTES_PER_KIND_IN_RESULTS]
        )
        for group in gap_notes(live_session)
    ]
    return RoomResults(
        stats.contribution_counts(visibility),
        top,
        shown.approaches,
        kinds,
        shown if live_session.results_revealed else None,
    )
