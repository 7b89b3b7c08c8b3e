"""Differential privacy for the evidence a session publishes (docs/evidence.md says what it
means for organisers and researchers).

The unit of privacy is one participant: everything they did themselves (the mappings they
made, the dots they placed on mappings, the gap notes they wrote). A release must look about
the same whether or not any one person took part, so that comparing two releases (publish,
someone erases themselves, publish again) tells nothing reliable about that person.

Two steps, each simple enough to check by hand:

1. Bound what one person can add (``clip``): they count behind at most ``BOUNDS.strategies``
   strategies (those they did the most on), for at most ``BOUNDS.demand`` needs mapped and
   dots in all (in their own proportions) and ``BOUNDS.gap_notes`` gap notes. The bound is a
   function of that person's own activity only, so removing someone changes no one else's
   bounded figures.
2. Add noise to every figure of a release (``release``): integer-valued discrete Laplace noise
   from OpenDP, whose scale per kind of figure (``FAMILIES``) is the most one person can
   change that kind of figure, in total over all rows, divided by the part of the release's ε
   it gets. The release's ε is the sum (sequential composition); OpenDP's privacy map gives
   each part's, and a test checks the sum against ``EPSILON_PER_RELEASE``.

Whether a figure is shown (the five-person floor) is decided on its *noisy* count of people,
so it costs nothing more and tells nothing more: a floor on the exact count would make
"shown" or "withheld" itself a fact about one person (with exactly five behind a strategy, one
erasure turns it to "withheld" and says who was behind it).

Each session has a budget (``EPSILON_PER_SESSION``): every release spends
``EPSILON_PER_RELEASE`` from it, whether or not a later one replaces it (the earlier one may
have been copied), and a release past it is refused."""

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

import opendp.prelude as dp

# OpenDP keeps its measurements behind this flag until their proofs are peer reviewed; the
# discrete Laplace mechanism's proof is published with the library (docs.opendp.org).
dp.enable_features("contrib")


@dataclass(frozen=True)
class Bounds:
    """The most one person counts for in one release."""

    strategies: int  # strategies they count behind (the counts of people)
    demand: int  # needs mapped plus dots on mappings, in all, wherever they are
    gap_notes: int  # gap notes, in all


BOUNDS = Bounds(strategies=3, demand=6, gap_notes=2)


@dataclass(frozen=True)
class Family:
    """One kind of figure in a release, over all its rows, with one noise scale."""

    name: str
    sensitivity: int  # the most one person changes these figures, summed over the rows
    scale: Decimal  # of the discrete Laplace noise added to each figure


# Chosen by measurement (bench/evidence_utility.py; docs/evidence.md has the figures): the
# smallest ε per release for which ten workshops of 30 place each approach's share within
# about 10 points (at 90 %) and a strategy nobody touched stays off the page in about nine
# workshops out of ten. The counts of people behind each strategy decide the floor, so they
# get the finest noise; an approach's needs and dots carry the workshop's thesis (where the
# demand lands), so they come next; a strategy's needs, dots and gap notes are rough for one
# workshop and add up over many.
FAMILIES = {
    family.name: family
    for family in (
        Family("contributors", 1, Decimal(4)),
        Family("strategy_participants", BOUNDS.strategies, Decimal(3)),
        Family("strategy_demand", BOUNDS.demand, Decimal(24)),
        Family("strategy_gap_notes", BOUNDS.gap_notes, Decimal(20)),
        Family("approach_demand", BOUNDS.demand, Decimal(15)),
    )
}

# What one release spends (release_epsilon() computes it from FAMILIES with OpenDP's privacy
# maps; a test holds them equal), and a session's budget: two releases, the first and one
# more (after a correction, or to drop someone who erased themselves).
EPSILON_PER_RELEASE = Decimal("2.0")
EPSILON_PER_SESSION = Decimal("4.0")


@functools.cache
def _measurement(family: Family) -> dp.Measurement:
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    return dp.m.make_laplace(*space, scale=float(family.scale))


def family_epsilon(family: Family) -> Decimal:
    """The ε OpenDP's privacy map gives one family, rounded up at the sixth decimal."""
    epsilon = Decimal(repr(_measurement(family).map(d_in=family.sensitivity)))
    return epsilon.quantize(Decimal("0.000001"), rounding=ROUND_CEILING)


@functools.cache
def release_epsilon() -> Decimal:
    """What one release spends: its families' ε, summed (sequential composition)."""
    return sum((family_epsilon(family) for family in FAMILIES.values()), Decimal(0))


def noisy(family: str, figures: list[int]) -> list[int]:
    """``figures`` with fresh discrete Laplace noise of ``family``'s scale on each (OpenDP's
    sampler, from the operating system's randomness: nothing here can be seeded)."""
    if not figures:
        return []
    return list(_measurement(FAMILIES[family])(list(figures)))


def clip(
    activity: Mapping[int, tuple[int, int, int]], order: Mapping[int, int]
) -> dict[int, tuple[int, int, int, int]]:
    """One person's figures as they count in a release, from what they did on each strategy
    (``activity``: strategy id to (needs mapped, dots, gap notes)) and the taxonomy's order
    (``order``: strategy id to position, for ties). Returns strategy id to (counted behind it:
    0 or 1, needs mapped, dots, gap notes), where

    - they count behind at most BOUNDS.strategies strategies, those they did the most on;
    - their needs mapped and dots, BOUNDS.demand in all at most, keep their proportions across
      strategies (largest remainders), so that bounding the most active changes no share;
    - their gap notes are BOUNDS.gap_notes at most, in taxonomy order.

    Depends on nothing but this person's own activity: removing someone changes no one else's."""
    rank = {s: (order.get(s, 0), s) for s in activity}
    active = sorted((s for s, done in activity.items() if any(done)), key=rank.__getitem__)
    behind = sorted(active, key=lambda s: (-sum(activity[s]), rank[s]))[: BOUNDS.strategies]
    figures = {s: [int(s in behind), 0, 0, 0] for s in active}
    demand = [(s, kind, activity[s][kind]) for s in active for kind in (0, 1) if activity[s][kind]]
    total = sum(amount for _s, _kind, amount in demand)
    if total <= BOUNDS.demand:
        for s, kind, amount in demand:
            figures[s][1 + kind] = amount
    else:
        quotas = [(s, kind, Fraction(amount * BOUNDS.demand, total)) for s, kind, amount in demand]
        for s, kind, quota in quotas:
            figures[s][1 + kind] = int(quota)
        left = BOUNDS.demand - sum(int(quota) for _s, _kind, quota in quotas)
        remainders = sorted(quotas, key=lambda q: (-(q[2] - int(q[2])), rank[q[0]], q[1]))
        for s, kind, _quota in remainders[:left]:
            figures[s][1 + kind] += 1
    notes_left = BOUNDS.gap_notes
    for s in active:
        figures[s][3] = min(activity[s][2], notes_left)
        notes_left -= figures[s][3]
    return {s: tuple(values) for s, values in figures.items() if any(values)}


def within(family: str, probability: float = 0.9) -> int:
    """How far ``family``'s noise moves one figure at most, ``probability`` of the time: the
    least t with P(|noise| <= t) >= probability, where P(|noise| > t) = 2a^(t+1) / (1 + a) and
    a = exp(-1/scale)."""
    a = math.exp(-1 / float(FAMILIES[family].scale))
    # Solved for t, then checked: floating point must not make the promise any smaller.
    t = max(0, math.ceil(math.log((1 - probability) * (1 + a) / 2) / math.log(a)) - 1)
    while 2 * a ** (t + 1) / (1 + a) > 1 - probability:
        t += 1
    return t


def summary() -> dict:
    """What the pages say about the privacy of the evidence."""
    return {
        "epsilon": release_epsilon().normalize(),
        "budget": EPSILON_PER_SESSION.normalize(),
        "strategies": BOUNDS.strategies,
        "demand": BOUNDS.demand,
        "notes": BOUNDS.gap_notes,
        "people_within": within("strategy_participants"),
        "demand_within": within("strategy_demand"),
        "approach_within": within("approach_demand"),
        "participants_within": within("contributors"),
    }
