"""The evidence across workshops: what every published workshop (models.PublishedWorkshop)
put on each strategy and each approach of a taxonomy, summed, beside whether the research pays
attention to the community the workshops are about (taxonomy/community.py). One workshop's map
is an anecdote; many are evidence.

Every published figure is noisy (differential privacy, taxonomy/privacy.py). The totals sum
every workshop's noisy figures, below zero included, so that the noise averages out rather
than adds up; a total is shown only at the end, never below zero. The floor applies to what
is shown: a strategy's total is withheld while its noisy count of people, summed over the
workshops, is under EVIDENCE_MINIMUM, and an approach's while every one of its strategies is.
A withheld line says so (``withheld_note``), never a zero: a zero reads as "nobody asked for
it", which is not what is known."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from taxonomy import privacy
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
from taxonomy.numbers import percent

SCHEMA_VERSION = "2.0"

# A line's status: its total is shown; it is withheld (fewer than EVIDENCE_MINIMUM people as
# counted with noise); or no published workshop has a figure for it (a strategy added since).
SHOWN, WITHHELD, NONE = "shown", "withheld", "none"


def withheld_note() -> str:
    """What a withheld figure says, wherever it is shown (page, JSON, CSV)."""
    return _("fewer than five people: not shown")


@dataclass
class EvidenceLine:
    """A strategy's (or, ``strategy`` None, an approach's) figures over the workshops."""

    approach: str
    strategy: Strategy | None = None
    workshops: int = 0  # that published a figure for it
    participants: int | None = 0  # noisy, summed; None for an approach (not measured)
    needs_mapped: int = 0
    dots: int = 0
    gap_notes: int = 0
    status: str = NONE
    community_references: list[Reference] = field(default_factory=list)  # strategies only
    strategies: int = 0  # approaches only: how many strategies it has
    attending: int = 0  # approaches only: how many of those have research on the community
    demand_share: int | None = None  # of all the demand shown, percent; None unless shown

    @property
    def demand(self) -> int:
        return self.needs_mapped + self.dots

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
    line.workshops += 1
    if count.participants is None:
        line.participants = None
    elif line.participants is not None:
        line.participants += count.participants
    line.needs_mapped += count.needs_mapped
    line.dots += count.dots
    line.gap_notes += count.gap_notes


def _settle_strategy(line: EvidenceLine) -> None:
    """Decide a strategy's status on its noisy total of people, then show its sums never
    below zero."""
    if line.workshops:
        line.status = SHOWN if (line.participants or 0) >= EVIDENCE_MINIMUM else WITHHELD
    _clamp(line)


def _settle_approach(line: EvidenceLine, strategies: list[EvidenceLine]) -> None:
    """An approach is shown when one of its strategies is: then five people, as counted with
    noise, are behind it."""
    if line.workshops:
        line.status = SHOWN if any(strategy.shown for strategy in strategies) else WITHHELD
    _clamp(line)


def _clamp(line: EvidenceLine) -> None:
    for name in ("participants", "needs_mapped", "dots", "gap_notes"):
        value = getattr(line, name)
        if value is not None:
            setattr(line, name, max(value, 0))


def _share(line: EvidenceLine, total: int) -> None:
    if line.shown:
        line.demand_share = percent(line.demand, total)


def evidence(taxonomy: Taxonomy) -> Evidence:
    """Every strategy and approach of ``taxonomy`` with what the published workshops put on it
    (four queries, whatever the number of workshops)."""
    workshops = list(PublishedWorkshop.objects.filter(taxonomy=taxonomy))
    counts = EvidenceCount.objects.filter(workshop__taxonomy=taxonomy)
    return Evidence(taxonomy, workshops, *_lines(taxonomy, counts))


def published_lines(workshop: PublishedWorkshop) -> Evidence:
    """One published workshop's lines, as the evidence would show them were it alone (its
    organisers see what their publication gave)."""
    return Evidence(
        workshop.taxonomy, [workshop], *_lines(workshop.taxonomy, workshop.counts.all())
    )


def _lines(taxonomy: Taxonomy, counts) -> tuple[list[EvidenceLine], list[EvidenceLine]]:
    """The strategies' and approaches' lines of ``taxonomy`` from ``counts``, settled."""
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
    by_approach = {
        approach.value: EvidenceLine(approach.value, participants=None) for approach in Approach
    }
    for count in counts:
        line = (
            by_strategy.get(count.strategy_id)
            if count.strategy_id
            else by_approach.get(count.approach)
        )
        if line is not None:
            _add(line, count)
    for line in by_strategy.values():
        _settle_strategy(line)
        approach = by_approach[line.approach]
        approach.strategies += 1
        approach.attending += int(line.attends)
    for approach, line in by_approach.items():
        _settle_approach(line, [s for s in by_strategy.values() if s.approach == approach])
    total = sum(line.demand for line in by_approach.values() if line.shown)
    for line in [*by_strategy.values(), *by_approach.values()]:
        _share(line, total)
    return list(by_strategy.values()), list(by_approach.values())


def strategy_evidence(strategy: Strategy) -> EvidenceLine | None:
    """One strategy's line (its page shows it), or None while no workshop is published; its
    share is of all the demand the evidence page shows."""
    if not EvidenceCount.objects.filter(strategy=strategy).exists():
        return None
    found = evidence(strategy.taxonomy)
    return next(line for line in found.strategies if line.strategy.pk == strategy.pk)


def _figures(line: EvidenceLine) -> dict:
    """A line's figures; null where nothing is shown, with a note that says why."""
    shown = line.shown
    return {
        "status": line.status,
        "note": withheld_note() if line.status == WITHHELD else None,
        "workshops": line.workshops,
        "participants": line.participants if shown else None,
        "needs_mapped": line.needs_mapped if shown else None,
        "dots": line.dots if shown else None,
        "gap_notes": line.gap_notes if shown else None,
        "demand_share_percent": line.demand_share,
    }


def privacy_document() -> dict:
    """How the figures were made private, for the people who use them."""
    return {
        "model": "differential privacy, pure ε, one participant as the unit",
        "noise": "discrete Laplace, from OpenDP (make_laplace on integers)",
        "epsilon_per_release": float(privacy.release_epsilon()),
        "epsilon_per_workshop_at_most": float(privacy.EPSILON_PER_SESSION),
        "contribution_bounds": {
            "strategies": privacy.BOUNDS.strategies,
            "needs_mapped_and_dots": privacy.BOUNDS.demand,
            "gap_notes": privacy.BOUNDS.gap_notes,
        },
        "noise_scales": {name: float(family.scale) for name, family in privacy.FAMILIES.items()},
        "documentation": "docs/evidence.md in the project's repository",
    }


def evidence_document(found: Evidence) -> dict:
    """The evidence as open data, following docs/evidence-schema.json."""
    taxonomy = found.taxonomy
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": "Common Ground",
        "minimum_participants_per_figure": EVIDENCE_MINIMUM,
        "privacy": privacy_document(),
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
                "epsilon_spent": float(workshop.epsilon),
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
