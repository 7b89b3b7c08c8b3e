"""What the differential privacy of the published evidence (taxonomy/privacy.py) costs in
accuracy: simulated workshops go through the real bounds (sessions.queries.evidence
.bounded_evidence) and the real noise (noisy_release, OpenDP), and each release is compared
with the exact figures. docs/evidence.md reports its output.

    .venv/bin/python bench/evidence_utility.py                    # 30 people, 400 releases, 3 runs
    .venv/bin/python bench/evidence_utility.py --people 15 --workshops 10
    .venv/bin/python bench/evidence_utility.py --scales strategy_participants=4,approach_demand=10

The simulated room (seeded, so every run sees the same workshops; the noise cannot be seeded):
the real taxonomy's 21 strategies (7 platform-based, 11 model-based, 3 legal and organising);
each workshop draws how much each strategy appeals (platform-based three times as much as
model-based, legal and organising twice, times a log-normal spread); one person in ten joins
and does nothing; the others map 1 to 7 needs (3 on average), spend the default 5 dots by 1 to
3 on mappings, and note 0 to 2 gaps, each on strategies drawn by appeal.

Printed, median [range] over the runs:
- share: how far an approach's share of the demand (needs mapped plus dots) moves from the
  exact one, at 90 % (percentage points), against the exact figures ("all") and against the
  bounded ones ("noise alone"), summing ``--workshops`` workshops as the evidence page does;
  beside it the bare baseline of the same run, the bounds without noise;
- floor: how often a strategy row is shown, by how many people are really behind it;
- demand: how far a shown strategy's needs mapped plus dots move, at 90 %;
- bounded out: the share of the demand the contribution bounds leave out."""

import argparse
import math
import os
import random
import statistics
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonground.test_settings")

import django  # noqa: E402
import yaml  # noqa: E402

django.setup()

from sessions.queries.evidence import bounded_evidence, noisy_release  # noqa: E402
from taxonomy import privacy  # noqa: E402
from taxonomy.models import EVIDENCE_MINIMUM, Strategy  # noqa: E402

APPEAL = {"platform": 3.0, "model": 1.0, "legal_organising": 2.0}
DOT_BUDGET, DOT_CAP = 5, 3


def taxonomy_strategies() -> list[Strategy]:
    """The shipped taxonomy's strategies, unsaved (no database needed)."""
    data = yaml.safe_load((ROOT / "taxonomy/data/commonground-taxonomy.yaml").read_text())
    return [
        Strategy(pk=index + 1, slug=item["slug"], approach=item["approach"])
        for index, item in enumerate(data["strategies"])
    ]


def simulated_room(rng: random.Random, strategies: list[Strategy], people: int) -> list[dict]:
    """Each person's own activity: strategy id -> [needs mapped, dots, gap notes]."""
    ids = [strategy.pk for strategy in strategies]
    appeal = [APPEAL[s.approach] * rng.lognormvariate(0, 0.8) for s in strategies]
    room = [{} for _ in range(people)]
    mappings = []
    for activity in room:
        if rng.random() < 0.1:
            continue  # joined, did nothing
        for _ in range(min(7, 1 + int(rng.expovariate(1 / 2.0)))):
            strategy = rng.choices(ids, appeal)[0]
            activity.setdefault(strategy, [0, 0, 0])[0] += 1
            mappings.append(strategy)
        activity["active"] = True
    weights = [appeal[ids.index(strategy)] for strategy in mappings]
    for activity in room:
        if not activity.pop("active", False):
            continue
        left = DOT_BUDGET
        while left and mappings:
            strategy = rng.choices(mappings, weights)[0]
            dots = min(left, rng.randint(1, DOT_CAP))
            activity.setdefault(strategy, [0, 0, 0])[1] += dots
            left -= dots
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            strategy = rng.choices(ids, appeal)[0]
            activity.setdefault(strategy, [0, 0, 0])[2] += 1
    return room


def exact(strategies: list[Strategy], room: list[dict]) -> tuple[dict, dict]:
    """Unbounded truth: per strategy (people, demand), per approach demand."""
    per_strategy = {s.pk: [0, 0] for s in strategies}
    per_approach = dict.fromkeys(APPEAL, 0)
    approach_of = {s.pk: s.approach for s in strategies}
    for activity in room:
        for strategy, (needs, dots, notes) in activity.items():
            if needs or dots or notes:
                per_strategy[strategy][0] += 1
            per_strategy[strategy][1] += needs + dots
            per_approach[approach_of[strategy]] += needs + dots
    return per_strategy, per_approach


def shares(demand: dict) -> dict:
    whole = sum(max(value, 0) for value in demand.values())
    return {key: 100 * max(value, 0) / whole if whole else 0 for key, value in demand.items()}


def quantile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]


def one_run(seed: int, *, people: int, workshops: int, releases: int) -> dict:
    """``releases`` times: ``workshops`` simulated workshops, each released once, summed as
    the evidence page sums them, against the exact figures."""
    rng = random.Random(seed)
    strategies = taxonomy_strategies()
    approach_of = {s.pk: s.approach for s in strategies}
    share_all, share_noise, share_bounds, demand_error, withheld_approach = [], [], [], [], []
    bounded_out, contributors_error = [], []
    shown = {"0": [], "1-4": [], "5-7": [], "8+": []}
    for _ in range(releases):
        truth = dict.fromkeys(APPEAL, 0)
        bounded = dict.fromkeys(APPEAL, 0)
        noisy = dict.fromkeys(APPEAL, 0)
        behind = {s.pk: 0 for s in strategies}
        exact_demand = {s.pk: 0 for s in strategies}
        noisy_people = {s.pk: 0 for s in strategies}
        noisy_demand = {s.pk: 0 for s in strategies}
        for _ in range(workshops):
            room = simulated_room(rng, strategies, people)
            per_strategy, per_approach = exact(strategies, room)
            evidence = bounded_evidence(strategies, room, joined=people)
            release = noisy_release(evidence)
            contributors_error.append(abs(release.participants - evidence.participants))
            for approach in APPEAL:
                truth[approach] += per_approach[approach]
            for row, released in zip(evidence.approaches, release.approaches, strict=True):
                bounded[row.approach] += row.needs_mapped + row.dots
                noisy[row.approach] += released.needs_mapped + released.dots
            for released in release.strategies:
                pk = released.strategy.pk
                behind[pk] += per_strategy[pk][0]
                exact_demand[pk] += per_strategy[pk][1]
                noisy_people[pk] += released.participants
                noisy_demand[pk] += released.needs_mapped + released.dots
            raw = sum(per_approach.values())
            bounded_out.append(1 - sum(r.needs_mapped + r.dots for r in evidence.approaches) / raw)
        # The floor, on the totals, as taxonomy/evidence.py applies it.
        shown_strategy = {pk: noisy_people[pk] >= EVIDENCE_MINIMUM for pk in noisy_people}
        shown_approach = {
            a: any(shown_strategy[pk] for pk in shown_strategy if approach_of[pk] == a)
            for a in APPEAL
        }
        for pk, is_shown in shown_strategy.items():
            n = behind[pk]
            band = "0" if not n else "1-4" if n < 5 else "5-7" if n < 8 else "8+"
            shown[band].append(is_shown)
            if is_shown:
                demand_error.append(abs(max(noisy_demand[pk], 0) - exact_demand[pk]))
        exact_share, bounded_share = shares(truth), shares(bounded)
        noisy_share = shares({a: noisy[a] if shown_approach[a] else 0 for a in APPEAL})
        # The bare baseline, in the same run: the bounds without the noise, against the exact.
        share_bounds.extend(abs(bounded_share[a] - exact_share[a]) for a in APPEAL)
        for approach in APPEAL:
            withheld_approach.append(not shown_approach[approach])
            if shown_approach[approach]:
                share_all.append(abs(noisy_share[approach] - exact_share[approach]))
                share_noise.append(abs(noisy_share[approach] - bounded_share[approach]))
    return {
        "share, all (pp at 90 %)": quantile(share_all, 0.9),
        "share, noise alone (pp at 90 %)": quantile(share_noise, 0.9),
        "share, bounds alone, no noise (pp at 90 %)": quantile(share_bounds, 0.9),
        "approach withheld": sum(withheld_approach) / len(withheld_approach),
        **{f"floor: shown with {band} people": sum(v) / len(v) for band, v in shown.items() if v},
        "demand of a shown strategy (at 90 %)": quantile(demand_error, 0.9),
        "participants of a workshop (at 90 %)": quantile(contributors_error, 0.9),
        "bounded out (share of demand)": statistics.mean(bounded_out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--workshops", type=int, default=1, help="summed, as the page does")
    parser.add_argument("--releases", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scales", default="", help="family=scale,... to try other noise")
    args = parser.parse_args()
    for item in filter(None, args.scales.split(",")):
        name, scale = item.split("=")
        privacy.FAMILIES[name] = replace(privacy.FAMILIES[name], scale=Decimal(scale))
    privacy.release_epsilon.cache_clear()
    print(
        f"ε per release {privacy.release_epsilon()}, scales "
        + ", ".join(f"{f.name} {f.scale}" for f in privacy.FAMILIES.values())
        + f"; {args.people} people, {args.workshops} workshop(s), floor {EVIDENCE_MINIMUM}"
    )
    runs = [
        one_run(seed, people=args.people, workshops=args.workshops, releases=args.releases)
        for seed in range(1, args.runs + 1)
    ]
    for key in runs[0]:
        values = [run[key] for run in runs if key in run]
        print(f"  {key}: {statistics.median(values):.3g} [{min(values):.3g}, {max(values):.3g}]")


if __name__ == "__main__":
    main()
