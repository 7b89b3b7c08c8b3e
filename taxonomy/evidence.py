"""The evidence across workshops: what every published workshop (models.PublishedWorkshop)
put on each strategy and each approach of a taxonomy, summed, beside whether the research pays
attention to the community the workshops are about (taxonomy/community.py). One workshop's map
is an anecdote; many are evidence.

Each figure says how many workshops and people it rests on. A workshop's figure that rested
on fewer than EVIDENCE_MINIMUM people was never published (withheld at publication,
sessions.stats.evidence), and the line says in how many workshops that was so. A line that
every workshop withheld is "withheld" (WITHHELD_NOTE), never a zero: a zero reads as "nobody
asked for it", which is not what is known."""

from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils.translation import gettext as _

from taxonomy.community import community_references
from taxonomy.enums import Approach
from taxonomy.models import (
    EVIDENCE_MINIMUM,
    EvidenceCount,
    PublishedWorkshop,
    Reference,
    Strategy,
    Taxonomy,
)
from taxonomy.queries import percent

SCHEMA_VERSION = "2.0"

# A line's status: some workshop's figure is counted; every workshop that published one
# withheld it; or no published workshop has a figure for it (a strategy added since).
SHOWN, WITHHELD, NONE = "shown", "withheld", "none"


def withheld_note() -> str:
    """What a withheld figure says, wherever it is shown (page, JSON, CSV)."""
    return _("fewer than five people: not shown")


@dataclass
class EvidenceLine:
    """A strategy's (or, ``strategy`` None, an approach's) figures over the workshops."""

    approach: str
    strategy: Strategy | None = None
    workshops: int = 0  # whose figure is counted here
    withheld_in: int = 0  # whose figure rested on too few people, and is left out
    participants: int = 0
    needs_mapped: int = 0
    dots: int = 0
    gap_notes: int = 0
    community_references: list[Reference] = field(default_factory=list)  # strategies only
    strategies: int = 0  # approaches only: how many strategies it has
    attending: int = 0  # approaches only: how many of those have research on the community
    demand_share: int | None = None  # of all the demand counted, percent; None unless shown

    @property
    def demand(self) -> int:
        return self.needs_mapped + self.dots

    @property
    def status(self) -> str:
        if self.workshops:
            return SHOWN
        return WITHHELD if self.withheld_in else NONE

    @property
    def shown(self) -> bool:
        return self.status == SHOWN

    @property
    def attends(self) -> bool:
        return bool(self.community_references)

    @property
    def label(self):
        return Approach(self.approach).label


@dataclass
class Evidence:
    taxonomy: Taxonomy
    workshops: list[PublishedWorkshop]
    strategies: list[EvidenceLine]  # in taxonomy order
    approaches: list[EvidenceLine]

    @property
    def participants(self) -> int:
        return sum(workshop.participants for workshop in self.workshops)

    @property
    def silent_in_demand(self) -> list[EvidenceLine]:
        """Strategies the workshops asked for whose research is silent on the community, most
        demanded first."""
        if not self.taxonomy.community:
            return []
        asked = [
            line for line in self.strategies if line.shown and line.demand and not line.attends
        ]
        return sorted(asked, key=lambda line: -line.demand)


def _add(line: EvidenceLine, count: EvidenceCount) -> None:
    if count.suppressed:
        line.withheld_in += 1
        return
    line.workshops += 1
    line.participants += count.participants or 0
    line.needs_mapped += count.needs_mapped or 0
    line.dots += count.dots or 0
    line.gap_notes += count.gap_notes or 0


def _share(line: EvidenceLine, total: int) -> None:
    if line.shown:
        line.demand_share = percent(line.demand, total)


def evidence(taxonomy: Taxonomy) -> Evidence:
    """Every strategy and approach of ``taxonomy`` with what the published workshops put on it
    (five queries at most, whatever the number of workshops)."""
    workshops = list(PublishedWorkshop.objects.filter(taxonomy=taxonomy))
    strategies = list(
        Strategy.objects.filter(taxonomy=taxonomy)
        .select_related("category")
        .order_by("category__position", "category__name", "position", "name")
    )
    attention = community_references(taxonomy)
    by_strategy = {
        strategy.pk: EvidenceLine(
            strategy.approach, strategy, community_references=attention.get(strategy.pk, [])
        )
        for strategy in strategies
    }
    by_approach = {approach.value: EvidenceLine(approach.value) for approach in Approach}
    for count in EvidenceCount.objects.filter(workshop__taxonomy=taxonomy):
        line = (
            by_strategy.get(count.strategy_id)
            if count.strategy_id
            else by_approach.get(count.approach)
        )
        if line is not None:
            _add(line, count)
    total = sum(line.demand for line in by_approach.values())
    for line in by_strategy.values():
        _share(line, total)
        approach = by_approach[line.approach]
        approach.strategies += 1
        approach.attending += int(line.attends)
    for line in by_approach.values():
        _share(line, total)
    return Evidence(taxonomy, workshops, list(by_strategy.values()), list(by_approach.values()))


def strategy_evidence(strategy: Strategy) -> EvidenceLine | None:
    """One strategy's line (its page shows it), or None while no workshop is published."""
    counts = list(EvidenceCount.objects.filter(strategy=strategy))
    if not counts:
        return None
    line = EvidenceLine(
        strategy.approach,
        strategy,
        community_references=community_references(strategy.taxonomy).get(strategy.pk, []),
    )
    for count in counts:
        _add(line, count)
    approaches = EvidenceCount.objects.filter(
        workshop__taxonomy_id=strategy.taxonomy_id, strategy__isnull=True, suppressed=False
    ).aggregate(needs=Sum("needs_mapped"), dots=Sum("dots"))
    _share(line, (approaches["needs"] or 0) + (approaches["dots"] or 0))
    return line


def _figures(line: EvidenceLine) -> dict:
    """A line's figures; null where nothing is shown, with a note that says why."""
    shown = line.shown
    return {
        "status": line.status,
        "note": withheld_note() if line.status == WITHHELD else None,
        "workshops": line.workshops,
        "withheld_in_workshops": line.withheld_in,
        "participants": line.participants if shown else None,
        "needs_mapped": line.needs_mapped if shown else None,
        "dots": line.dots if shown else None,
        "gap_notes": line.gap_notes if shown else None,
        "demand_share_percent": line.demand_share,
    }


def evidence_document(found: Evidence) -> dict:
    """The evidence as open data, following docs/evidence-schema.json."""
    taxonomy = found.taxonomy
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": "Common Ground",
        "minimum_participants_per_figure": EVIDENCE_MINIMUM,
        "taxonomy": {
            "slug": taxonomy.slug,
            "title": taxonomy.title,
            "version": taxonomy.version,
            "community": taxonomy.community,
            "community_name": taxonomy.community_name,
        },
        "workshops": [
            {
                "title": workshop.title,
                "held_on": workshop.held_on.isoformat(),
                "participants": workshop.participants,
            }
            for workshop in found.workshops
        ],
        "approaches": [
            {
                "approach": line.approach,
                "label": str(Approach(line.approach).label),
                "strategies": line.strategies,
                "strategies_with_research_on_community": line.attending,
                **_figures(line),
            }
            for line in found.approaches
        ],
        "strategies": [
            {
                "slug": line.strategy.slug,
                "name": line.strategy.name,
                "category": line.strategy.category.slug,
                "approach": line.approach,
                "research_on_community": line.attends,
                "references_on_community": [ref.number for ref in line.community_references],
                **_figures(line),
            }
            for line in found.strategies
        ],
    }


CSV_COLUMNS = (
    "strategy",
    "name",
    "approach",
    "research_on_community",
    "status",
    "workshops",
    "withheld_in_workshops",
    "participants",
    "needs_mapped",
    "dots",
    "gap_notes",
    "demand_share_percent",
    "note",
)


def evidence_rows(found: Evidence) -> list[tuple]:
    """The strategies' lines as CSV rows, in CSV_COLUMNS order: a figure that is not shown
    is an empty cell, and the note says why."""
    document = evidence_document(found)
    return [
        (
            row["slug"],
            row["name"],
            row["approach"],
            "true" if row["research_on_community"] else "false",
            *("" if row[column] is None else row[column] for column in CSV_COLUMNS[4:]),
        )
        for row in document["strategies"]
    ]
