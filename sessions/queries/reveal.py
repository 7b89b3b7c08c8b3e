"""The reveal, the workshop's thesis made visible: where the room's demand landed against where
the research pays attention to the community the workshop is about (taxonomy/community.py).

Demand is what the heat map measures (needs mapped onto a strategy plus the dots on those
mappings); attention is whether a strategy's research (its references, or its cases') studies
the community. A strategy is in high demand at the two hottest heat levels; where such a
strategy's research is silent, the reveal names it. The board's wrap-up screen and the report
read the same function, each through its own Visibility."""

from dataclasses import dataclass
from functools import cached_property

from django.utils.functional import Promise

from sessions.queries.stats import HEAT_LEVELS, StrategyDemand, heat_level, strategy_demand
from sessions.queries.visibility import Visibility
from taxonomy.community import community_references
from taxonomy.enums import Approach
from taxonomy.models import Reference, Strategy, Taxonomy
from taxonomy.numbers import percent

# Heat levels 3 and 4 of 0-4: at least about five eighths of the most-demanded strategy's.
HIGH_DEMAND_HEAT = HEAT_LEVELS - 2


@dataclass
class StrategyReveal:
    """One strategy: the room's demand on it and the references of its research that study
    the community (none: the research is silent)."""

    demand: StrategyDemand
    heat: int
    demand_percent: int  # of all the room's demand
    community_references: list[Reference]
    bar: int = 0  # its demand against the most-demanded strategy's (percent)

    @property
    def strategy(self) -> Strategy:
        return self.demand.strategy

    @property
    def attends(self) -> bool:
        return bool(self.community_references)

    @property
    def in_high_demand(self) -> bool:
        return self.heat >= HIGH_DEMAND_HEAT

    @property
    def silent_in_demand(self) -> bool:
        """The room needs it and the research says nothing about the community."""
        return self.in_high_demand and not self.attends


@dataclass
class ApproachReveal:
    """One approach (platform, model, legal and organising): its share of the room's demand
    against how many of its strategies' research studies the community."""

    approach: str
    label: Promise | str
    demand: int
    demand_percent: int
    strategies: int
    attending: int

    @property
    def attention_percent(self) -> int:
        return percent(self.attending, self.strategies)


@dataclass
class Reveal:
    taxonomy: Taxonomy  # its community_name is shown in the language of each screen
    strategies: list[StrategyReveal]  # in taxonomy order
    approaches: list[ApproachReveal]
    total_demand: int

    @property
    def names_a_community(self) -> bool:
        return bool(self.taxonomy.community)

    @cached_property
    def demanded(self) -> list[StrategyReveal]:
        """Strategies the room mapped onto, most demanded first (ties: taxonomy order)."""
        ranked = [item for item in self.strategies if item.demand.score]
        return sorted(ranked, key=lambda item: -item.demand.score)

    @cached_property
    def silent_gaps(self) -> list[StrategyReveal]:
        """Strategies in high demand whose research is silent on the community, most
        demanded first: the gap the workshop is about."""
        if not self.names_a_community:
            return []
        return [item for item in self.demanded if item.silent_in_demand]


def reveal(visibility: Visibility) -> Reveal:
    """The reveal of one session through ``visibility``: every strategy of its taxonomy with
    its demand, heat, share of demand and the references about the community; the same per
    approach. Eight queries at most, whatever the size of the session."""
    demands = strategy_demand(visibility)
    taxonomy = visibility.live_session.taxonomy
    attention = community_references(taxonomy)
    top = max((demand.score for demand in demands), default=0)
    total = sum(demand.score for demand in demands)
    strategies = [
        StrategyReveal(
            demand,
            heat_level(demand.score, top),
            percent(demand.score, total),
            attention.get(demand.strategy.pk, []),
            percent(demand.score, top),
        )
        for demand in demands
    ]
    approaches = []
    for approach in Approach:
        mine = [item for item in strategies if item.strategy.approach == approach.value]
        score = sum(item.demand.score for item in mine)
        approaches.append(
            ApproachReveal(
                approach.value,
                approach.label,
                score,
                percent(score, total),
                len(mine),
                sum(1 for item in mine if item.attends),
            )
        )
    return Reveal(taxonomy, strategies, approaches, total)
