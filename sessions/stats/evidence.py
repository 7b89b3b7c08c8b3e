"""What a finished session adds to the evidence across workshops (taxonomy/evidence.py), as
its organisers preview it and publish it: for each strategy and each approach, the needs
mapped onto it, the dots on those mappings and the gap notes, and how many people are behind
those figures. Counts only: never a text, a name or a pseudonym.

Only people who contributed count: someone is behind a strategy's figures when they mapped a
need onto it, placed a dot on such a mapping or noted a gap on it, and a session's people are
those behind at least one figure. Joining alone counts for nothing, so a script that joins a
thousand times neither makes a session publishable nor lifts anyone's figure over the floor.
A figure that rests on fewer than EVIDENCE_MINIMUM people is withheld, and said to be; that
includes a strategy nobody touched (a zero would tell, after an erasure, that the erased
person was the one behind it)."""

from collections import defaultdict
from dataclasses import dataclass

from sessions.stats import Visibility, strategy_demand
from taxonomy.enums import Approach
from taxonomy.models import EVIDENCE_MINIMUM, Strategy


@dataclass
class EvidenceRow:
    strategy: Strategy | None  # None: the row of a whole approach
    approach: str
    participants: int  # the people behind these figures
    needs_mapped: int
    dots: int
    gap_notes: int

    @property
    def withheld(self) -> bool:
        """Fewer than the minimum of people are behind it (none at all included)."""
        return self.participants < EVIDENCE_MINIMUM


@dataclass
class WorkshopEvidence:
    joined: int  # who joined and were not removed
    participants: int  # of those, who contributed to at least one figure
    strategies: list[EvidenceRow]  # in taxonomy order
    approaches: list[EvidenceRow]

    @property
    def publishable(self) -> bool:
        return self.participants >= EVIDENCE_MINIMUM


def _contributors(visibility: Visibility) -> dict[int, set[int]]:
    """Per strategy, the participants who mapped a need onto it, placed a dot on such a
    mapping or noted a gap on it (three queries)."""
    people: dict[int, set[int]] = defaultdict(set)
    for strategy_id, author_id in visibility.mappings().values_list("strategy_id", "author_id"):
        people[strategy_id].add(author_id)
    voters = visibility.votes().filter(mapping__isnull=False)
    for strategy_id, voter_id in voters.values_list("mapping__strategy_id", "participant_id"):
        people[strategy_id].add(voter_id)
    for strategy_id, author_id in visibility.gap_notes().values_list("strategy_id", "author_id"):
        people[strategy_id].add(author_id)
    return people


def workshop_evidence(live_session) -> WorkshopEvidence:
    """What the session would publish: visible contributions of participants who were not
    removed (the exports' default), per strategy and per approach (nine queries)."""
    visibility = Visibility(live_session, exclude_removed=True)
    people = _contributors(visibility)
    strategies = [
        EvidenceRow(
            demand.strategy,
            demand.strategy.approach,
            len(people.get(demand.strategy.pk, ())),
            demand.needs_mapped,
            demand.dots,
            demand.gap_notes,
        )
        for demand in strategy_demand(visibility)
    ]
    approaches = []
    for approach in Approach:
        # Only the strategies that are shown: a total over a withheld one would give its
        # figure away by difference.
        mine = [row for row in strategies if row.approach == approach.value and not row.withheld]
        behind = set().union(*(people.get(row.strategy.pk, set()) for row in mine))
        approaches.append(
            EvidenceRow(
                None,
                approach.value,
                len(behind),
                sum(row.needs_mapped for row in mine),
                sum(row.dots for row in mine),
                sum(row.gap_notes for row in mine),
            )
        )
    in_taxonomy = {row.strategy.pk for row in strategies}
    contributors = set().union(*(ids for pk, ids in people.items() if pk in in_taxonomy))
    return WorkshopEvidence(
        visibility.participants().count(), len(contributors), strategies, approaches
    )
