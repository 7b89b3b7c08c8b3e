"""How long merge suggestions take to compute for a large session: every need against every
other (a dashboard's first look at a session of N needs) and one new need against all (each
later look), beside a bare baseline of the same loop with rapidfuzz's plain ratio on the raw
texts (no normalising, no pairing).

    .venv/bin/python bench/merge_suggestions.py            # 2,000 needs, 5 runs
    .venv/bin/python bench/merge_suggestions.py --needs 5000

In-process, no database; prints median and range over the runs."""

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_VOCABULARY = (
    "safer visibility trans queer creators artists posts hidden shadowban appeal contest "
    "legal help data collection opt out dating apps recommendations pronouns deadnaming "
    "moderation reports harassment feed ranking audit explain why tiktok instagram youtube "
    "visibilité sûre créatrices publications cachées aide juridique contester données "
    "collecte recommandations pronoms modération signalements harcèlement classement"
)
WORDS = _VOCABULARY.split()


def needs(count: int, seed: int = 7) -> list[tuple[int, str]]:
    rng = random.Random(seed)
    return [(pk, " ".join(rng.sample(WORDS, rng.randint(4, 10)))) for pk in range(1, count + 1)]


def timed(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def describe(times: list[float]) -> str:
    return (
        f"median {statistics.median(times) * 1000:.0f} ms "
        f"(range {min(times) * 1000:.0f}-{max(times) * 1000:.0f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from rapidfuzz import fuzz, process

    from sessions.similarity import similar_pairs

    texts = needs(args.needs)
    raw = dict(texts)
    print(f"# merge suggestions, {args.needs} needs, {os.getloadavg()[0]:.2f} load")
    everything = timed(lambda: similar_pairs(texts, texts), args.runs)
    one = timed(lambda: similar_pairs(texts[-1:], texts), args.runs * 20)
    bare = timed(
        lambda: [
            process.extract(text, raw, scorer=fuzz.ratio, score_cutoff=85, limit=None)
            for _, text in texts
        ],
        args.runs,
    )
    print(f"all against all (first look): {describe(everything)}")
    print(f"one new need against all (each later look): {describe(one)}")
    print(f"bare baseline, all against all, plain ratio on raw text: {describe(bare)}")
    print(f"pairs suggested in this synthetic set: {len(similar_pairs(texts, texts))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
