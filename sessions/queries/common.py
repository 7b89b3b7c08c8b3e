"""What every live screen reads: needs and their dots, the grid, the split, gap notes, the
spotlight, the phone's own dots, the dashboard's counts and queues.

Every function runs a fixed number of queries, whatever the size of the session, and reads
only visible contributions unless it says otherwise. The statistics (counts, demand per
strategy, heat, splits, gap notes by kind) come from sessions/queries/stats.py, which the report reads
too, with the board's visibility."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone

from sessions.enums import ContributionStatus
from sessions.models import LiveSession, Mapping, Need, Participant, Vote
from sessions.queries import stats
from sessions.queries.visibility import VISIBLE, Visibility
from taxonomy.models import Category, Strategy


def participant_counts(live_session: LiveSession) -> dict[str, int]:
    """Participants who were not removed: in all, in the room and remote (one query)."""
    return stats.participant_counts(stats.Visibility(live_session))


def _visible_mappings(board: Visibility):
    """A need's mappings the board shows, with their dots (for a Prefetch of shown needs)."""
    return (
        Mapping.objects.filter(board.included())
        .select_related("strategy", "author")
        .annotate(dot_total=board.dots_on("mapping"))
        .order_by("created", "pk")
    )


def _shown_to(board: Visibility, participant: Participant | None) -> Q:
    """The needs the board shows and, for ``participant``, their own pending ones."""
    if participant is None:
        return board.included()
    return board.included() | Q(author=participant, status=ContributionStatus.PENDING)


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
    shown = _shown_to(Visibility(live_session), include_hidden_for)
    ids = Need.objects.filter(shown, live_session=live_session)
    if before is not None:
        ids = ids.filter(pk__lt=before)
    newest = list(ids.order_by("-pk").values_list("pk", flat=True)[: size + 1])
    shown = newest[:size]
    page = needs(live_session, ids=shown, include_hidden_for=include_hidden_for)
    return NeedPage(page, older_than=min(shown) if len(newest) > size else None)


def needs(live_session: LiveSession, *, ids=None, include_hidden_for=None) -> list[Need]:
    """Visible needs with their dot totals and visible mappings (three queries).

    ``include_hidden_for``: a participant whose own pending needs are included too."""
    board = Visibility(live_session)
    queryset = (
        Need.objects.filter(_shown_to(board, include_hidden_for), live_session=live_session)
        .select_related("author")
        .annotate(dot_total=board.dots_on("need"))
        .prefetch_related(Prefetch("mappings", queryset=_visible_mappings(board)))
        .order_by("created", "pk")
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return list(queryset)


def posted_need(
    live_session: LiveSession, need: Need, *, author: Participant, posted_since
) -> Need:
    """A need its author posted, as ``needs`` reads it for them. One created since
    ``posted_since`` (by the request answering) has no dots and no mappings yet and is not
    read again: a vote or a mapping made since reaches the author with the live push, as it
    reaches everyone. An older one (a retried post) is read."""
    if need.created < posted_since:
        (read,) = needs(live_session, ids=[need.pk], include_hidden_for=author)
        return read
    need.author = author
    need.dot_total = 0
    return with_mappings(need, [])


def with_mappings(need: Need, mappings: list[Mapping]) -> Need:
    """``need`` with ``mappings`` (read already) as ``needs``'s prefetch leaves them: a queryset
    that holds its rows, so that asking it whether it has any compiles no query (for an empty
    one, ``none()`` alone did: a fifth of a quick need's answer)."""
    prefetched = Mapping.objects.none()
    prefetched._result_cache = mappings
    prefetched._prefetch_done = True
    need._prefetched_objects_cache = {"mappings": prefetched}
    return need


CELL_NEEDS = 3  # the most-voted needs a board cell lists


def grid(live_session: LiveSession) -> list[stats.HeatRow]:
    """The taxonomy as rows of strategy cells (one row per category), each with its demand
    (needs mapped, dots, gap notes, its most-voted mapped needs) and a heat level (0-4)
    relative to the most-demanded strategy; what the board shows (three queries)."""
    demands = stats.strategy_demand(stats.Visibility(live_session), top_needs=CELL_NEEDS)
    return stats.heat_rows(demands)


def approach_split(live_session: LiveSession) -> list[stats.ApproachDemand]:
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


def strategies_of(live_session: LiveSession, ids: Iterable[str]) -> list[Strategy]:
    """The strategies of the session's taxonomy among ``ids`` (as sent: others, and what is
    no id, are left out; one query)."""
    wanted = [int(value) for value in ids if str(value).isdecimal() and len(str(value)) < 19]
    if not wanted:
        return []
    return list(Strategy.objects.filter(pk__in=wanted, taxonomy_id=live_session.taxonomy_id))


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


def dots_left(live_session: LiveSession, mine: PersonalDots) -> int:
    """The participant's dots still to place (their page's budget and each vote's answer)."""
    return max(0, live_session.dot_budget - dots_in(mine))


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


def pending_needs(participant: Participant) -> list[Need]:
    """The participant's own needs waiting for a facilitator's approval, as ``needs`` reads
    them (one query when there are none, four otherwise)."""
    pending = Need.objects.filter(author=participant, status=ContributionStatus.PENDING)
    ids = list(pending.values_list("pk", flat=True))
    if not ids:
        return []
    return needs(participant.live_session, ids=ids, include_hidden_for=participant)
