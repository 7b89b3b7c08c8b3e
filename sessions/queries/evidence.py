"""What a finished session adds to the evidence across workshops (taxonomy/evidence.py), as
its organisers preview it and publish it: for each strategy and each approach, the needs
mapped onto it, the dots on those mappings and the gap notes, and how many people are behind
those figures. Counts only: never a text, a name or a pseudonym.

Only people who contributed count: someone is behind a strategy's figures when they mapped a
need onto it, placed a dot on such a mapping or noted a gap on it, and a session's people are
those behind at least one figure. Joining alone counts for nothing, so a script that joins a
thousand times neither makes a session publishable nor lifts anyone's figure over the floor.

What is published is differentially private (taxonomy/privacy.py, docs/evidence.md): each
person's contribution is bounded first (``workshop_evidence``: the exact figures the preview
shows), then every figure gets fresh noise and the floor is applied to the noisy count of
people (``noisy_release``). A figure under the floor is withheld and said to be, never a zero."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Sum

from sessions.queries.visibility import Visibility
from taxonomy import privacy
from taxonomy.enums import Approach
from taxonomy.models import EVIDENCE_MINIMUM, Strategy


@dataclass
class EvidenceRow:
    strategy: Strategy | None  # None: the row of a whole approach
    approach: str
    participants: int = 0  # the people behind these figures
    needs_mapped: int = 0
    dots: int = 0
    gap_notes: int = 0
    # As the evidence would decide on exact counts: a strategy with fewer than the minimum of
    # people behind it (none at all included), an approach all of whose strategies are.
    withheld: bool = True


@dataclass
class WorkshopEvidence:
    """The exact figures a release starts from, each person's contribution bounded."""

    joined: int  # who joined and were not removed
    participants: int  # of those, who contributed to at least one figure
    strategies: list[EvidenceRow]  # in taxonomy order
    approaches: list[EvidenceRow]
    # What the bounds left out, over everyone: needs mapped and dots, gap notes.
    bounded_out: dict = field(default_factory=dict)

    @property
    def publishable(self) -> bool:
        return self.participants >= EVIDENCE_MINIMUM


def _activity(visibility: Visibility, strategy_ids: set[int]) -> dict[int, dict[int, list[int]]]:
    """Per participant, per strategy of the taxonomy: [needs mapped, dots, gap notes] that
    they did themselves (three queries)."""
    activity: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    mapped = (
        visibility.mappings()
        .order_by()
        .values_list("author_id", "strategy_id")
        .annotate(n=Count("pk"))
    )
    dots = (
        visibility.votes("mapping")
        .order_by()
        .values_list("participant_id", "mapping__strategy_id")
        .annotate(n=Sum("dots"))
    )
    notes = (
        visibility.gap_notes()
        .order_by()
        .values_list("author_id", "strategy_id")
        .annotate(n=Count("pk"))
    )
    for kind, rows in enumerate((mapped, dots, notes)):
        for person, strategy_id, n in rows:
            if strategy_id in strategy_ids and n:
                activity[person][strategy_id][kind] += n
    return activity


def workshop_evidence(live_session) -> WorkshopEvidence:
    """What the session's release starts from: visible contributions of participants who
    were not removed (the exports' default), each person bounded by privacy.clip, summed per
    strategy and per approach (five queries)."""
    visibility = Visibility(live_session, exclude_removed=True)
    strategies = list(
        Strategy.objects.filter(taxonomy_id=live_session.taxonomy_id)
        .select_related("category")
        .order_by("category__position", "category__name", "position", "name")
    )
    activity = _activity(visibility, {strategy.pk for strategy in strategies})
    return bounded_evidence(strategies, activity.values(), joined=visibility.participants().count())


def bounded_evidence(strategies: list[Strategy], people, *, joined: int) -> WorkshopEvidence:
    """The figures of ``people`` (each a mapping of strategy id to [needs mapped, dots, gap
    notes] they did themselves) over ``strategies`` in taxonomy order, each person bounded by
    privacy.clip. No query: bench/evidence_utility.py runs it on simulated workshops."""
    order = {strategy.pk: position for position, strategy in enumerate(strategies)}
    rows = {strategy.pk: EvidenceRow(strategy, strategy.approach) for strategy in strategies}
    approaches = {approach.value: EvidenceRow(None, approach.value) for approach in Approach}
    contributors = raw_demand = raw_notes = 0
    for person in people:
        done = {s: tuple(figures) for s, figures in person.items() if s in rows and any(figures)}
        if not done:
            continue
        contributors += 1
        raw_demand += sum(figures[0] + figures[1] for figures in done.values())
        raw_notes += sum(figures[2] for figures in done.values())
        counted = privacy.clip(done, order)
        for strategy_id, (behind, needs, dots, notes) in counted.items():
            for row in (rows[strategy_id], approaches[rows[strategy_id].approach]):
                row.needs_mapped += needs
                row.dots += dots
                row.gap_notes += notes
            rows[strategy_id].participants += behind
        for approach in {rows[strategy_id].approach for strategy_id in counted}:
            approaches[approach].participants += 1
    for row in rows.values():
        row.withheld = row.participants < EVIDENCE_MINIMUM
    for approach in approaches.values():
        approach.withheld = all(
            row.withheld for row in rows.values() if row.approach == approach.approach
        )
    counted_demand = sum(row.needs_mapped + row.dots for row in rows.values())
    counted_notes = sum(row.gap_notes for row in rows.values())
    return WorkshopEvidence(
        joined,
        contributors,
        list(rows.values()),
        list(approaches.values()),
        {"demand": raw_demand - counted_demand, "gap_notes": raw_notes - counted_notes},
    )


@dataclass
class ReleasedRow:
    """A row as published: noisy figures, possibly below zero (summed over workshops, the
    noise then averages out). An approach's count of people is not measured (None): it would
    spend budget that its needs and dots make better use of."""

    strategy: Strategy | None
    approach: str
    participants: int | None
    needs_mapped: int
    dots: int
    gap_notes: int


@dataclass
class Release:
    participants: int  # noisy count of the people who contributed, never below zero
    strategies: list[ReleasedRow]
    approaches: list[ReleasedRow]


def noisy_release(evidence: WorkshopEvidence) -> Release:
    """One release of ``evidence``: fresh noise on every figure (privacy.noisy), spending
    privacy.release_epsilon(). An approach's gap notes are its strategies' noisy ones summed
    (post-processing: nothing more spent). Which totals are shown is decided where they are
    shown (taxonomy/evidence.py), on the noisy counts of people."""
    strategies, approaches = evidence.strategies, evidence.approaches
    people = privacy.noisy("strategy_participants", [row.participants for row in strategies])
    demand = privacy.noisy(
        "strategy_demand", [n for row in strategies for n in (row.needs_mapped, row.dots)]
    )
    notes = privacy.noisy("strategy_gap_notes", [row.gap_notes for row in strategies])
    released = [
        ReleasedRow(
            row.strategy, row.approach, people[i], demand[2 * i], demand[2 * i + 1], notes[i]
        )
        for i, row in enumerate(strategies)
    ]
    approach_demand = privacy.noisy(
        "approach_demand", [n for row in approaches for n in (row.needs_mapped, row.dots)]
    )
    released_approaches = [
        ReleasedRow(
            None,
            row.approach,
            None,
            approach_demand[2 * i],
            approach_demand[2 * i + 1],
            sum(line.gap_notes for line in released if line.approach == row.approach),
        )
        for i, row in enumerate(approaches)
    ]
    (contributors,) = privacy.noisy("contributors", [evidence.participants])
    return Release(max(contributors, 0), released, released_approaches)
