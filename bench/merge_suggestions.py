"""How long merge suggestions take to compute for a large session, and how right they are.

Time: every need against every other (a dashboard's first look at a session of N needs), one
new need and a refresh's batch against all from a fresh index (a worker's first look), and the
batch with the index a worker keeps (each later look), with the bundled taxonomy's glossary,
beside two
baselines measured in the same run: a bare loop of rapidfuzz's plain ratio on the raw texts
(no normalising, no pairing), and the word-overlap scoring used before issue 25 (rapidfuzz
token-set ratio at 85 on texts without small words).

Quality: precision and recall of the suggestions and of the word-overlap scoring on the
labelled pairs of tests/sessions/data/merge_pairs.yaml.

    .venv/bin/python bench/merge_suggestions.py            # 2,000 needs, 5 runs
    .venv/bin/python bench/merge_suggestions.py --needs 5000

In-process, no database; prints median and range over the runs."""

import argparse
import os
import random
import statistics
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

_VOCABULARY = (
    "safer visibility trans queer creators artists posts hidden shadowban appeal contest "
    "legal help data collection opt out dating apps recommendations pronouns deadnaming "
    "moderation reports harassment feed ranking audit explain why tiktok instagram youtube "
    "visibilité sûre créatrices publications cachées aide juridique contester données "
    "collecte recommandations pronoms modération signalements harcèlement classement"
)
WORDS = _VOCABULARY.split()
BATCH = 50  # sessions/services/suggestions.py BATCH (importing it needs Django's settings)


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


def bundled_glossary():
    from sessions.similarity import Glossary

    # Read as plain YAML: the bench runs without Django's settings.
    path = os.path.join(ROOT, "taxonomy", "data", "commonground-taxonomy.yaml")
    with open(path, encoding="utf-8") as file:
        data = yaml.safe_load(file)
    entries = list(data["taxonomy"].get("glossary") or [])
    for section in ("strategies", "cases"):
        for item in data[section]:
            entries += item.get("synonyms") or []
    return Glossary.from_terms(entries)


def word_overlap_pairs(fresh, others, threshold=85):
    """The scoring before issue 25: rapidfuzz's token-set ratio on folded texts without the
    small words of either language, needs of fewer than three such words left out."""
    from rapidfuzz import fuzz, process

    from sessions.similarity import _SMALL_WORDS, words

    def normalised(text):
        return " ".join(word for word in words(text) if word not in _SMALL_WORDS)

    fresh = [(pk, normalised(text)) for pk, text in fresh]
    choices = {pk: normalised(text) for pk, text in others}
    choices = {pk: text for pk, text in choices.items() if len(text.split()) >= 3}
    pairs = {}
    for pk, text in fresh:
        if len(text.split()) < 3:
            continue
        for _choice, score, other in process.extract(
            text, choices, scorer=fuzz.token_set_ratio, score_cutoff=threshold, limit=None
        ):
            if other != pk:
                pairs[(min(pk, other), max(pk, other))] = round(score)
    return [(a, b, score) for (a, b), score in sorted(pairs.items())]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from rapidfuzz import fuzz, process

    from sessions.similarity import NeedIndex, similar_pairs
    from tests.sessions.merge_quality import in_one_session, pairwise

    glossary = bundled_glossary()

    def suggestions(fresh, others):
        return similar_pairs(fresh, others, glossary=glossary)

    texts = needs(args.needs)
    raw = dict(texts)
    print(f"# merge suggestions, {args.needs} needs, {os.getloadavg()[0]:.2f} load")

    # Each from a fresh index, as a worker's first refresh of a session: no features kept.
    everything = timed(lambda: suggestions(texts, texts), args.runs)
    one = timed(lambda: suggestions(texts[-1:], texts), args.runs * 4)
    # What one dashboard refresh compares at most (sessions/services/suggestions.py BATCH).
    batch = timed(lambda: suggestions(texts[-BATCH:], texts), args.runs * 4)
    # The same refresh with the index a worker keeps between refreshes
    # (sessions.services.suggestions.need_indexes): the session's needs listed with their
    # versions, the texts of the changed ones indexed, they alone scored.
    kept = NeedIndex(glossary)
    versions = {pk: 0 for pk, _ in texts[:-BATCH]}
    kept.add((pk, text, 0) for pk, text in texts[:-BATCH])

    def kept_refresh():
        now = {**versions, **{pk: 1 for pk, _ in texts[-BATCH:]}}
        kept.add((pk, raw[pk], 1) for pk in kept.stale(now))
        kept.similar_to(pk for pk, _ in texts[-BATCH:])
        kept.stale(versions)  # and back, for the next run

    batch_kept = timed(kept_refresh, args.runs * 4)
    before = timed(lambda: word_overlap_pairs(texts, texts), args.runs)
    bare = timed(
        lambda: [
            process.extract(text, raw, scorer=fuzz.ratio, score_cutoff=85, limit=None)
            for _, text in texts
        ],
        args.runs,
    )
    print(f"all against all (first look): {describe(everything)}")
    print(f"one new need against all, a fresh index (a worker's first look): {describe(one)}")
    print(f"{BATCH} changed needs against all, a fresh index: {describe(batch)}")
    print(f"{BATCH} changed needs against all, with the index kept: {describe(batch_kept)}")
    print(f"word-overlap scoring before issue 25, all against all: {describe(before)}")
    print(f"bare baseline, all against all, plain ratio on raw text: {describe(bare)}")
    print(f"pairs suggested in this synthetic set: {len(suggestions(texts, texts))}")
    print(f"labelled pairs, each alone: {pairwise(suggestions)}")
    print(f"labelled pairs, as one session: {in_one_session(suggestions)}")
    print(f"labelled pairs, word overlap before issue 25: {pairwise(word_overlap_pairs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
