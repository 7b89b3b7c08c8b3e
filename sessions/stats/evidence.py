"""What a finished session adds to the evidence across workshops (taxonomy/evidence.py), as
its organisers preview it and publish it: for each strategy and each approach, the needs
mapped onto it, the dots on those mappings and the gap notes, and how many participants are
behind those figures. Counts only: never a text, a name or a pseudonym. A figure that rests on
fewer than EVIDENCE_MINIMUM participants is suppressed, and said to be."""

from collections import defaultdict
from dataclasses import dataclass

from sessions.stats import Visibility, strategy_demand
from taxonomy.enums import Approach
from taxonomy.models import EVIDENCE_MINIMUM, Strategy


@dataclass
class EvidenceRow:
    strategy: Strategy | None  # None: the row of a whole approach
    approach: str
    participants: int
    needs_mapped: int
    dots: int
    gap_notes: int

    @property
    def suppressed(self) -> bool:
        """A figure that rests on fewer than the minimum of people (none at all is a zero)."""
        return self.has_demand and self.participants < EVIDENCE_MINIMUM

    @property
    def has_demand(self) -> bool:
        return bool(self.needs_mapped or self.dots or self.gap_notes)


@dataclass
class WorkshopEvidence:
    participants: int  # who took part and were not removed
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
    removed (the exports' default), per strategy and per approach (eight queries)."""
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
        # Only the strategies that are shown: a total over a suppressed one would give its
        # figure away by difference.
        mine = [row for row in strategies if row.approach == approach.value and not row.suppressed]
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
    return WorkshopEvidence(visibility.participants().count(), strategies, approaches)
