"""Precision and recall of the merge suggestions on the labelled pairs in
data/merge_pairs.yaml, shared by tests/sessions/test_merge_quality.py and
bench/merge_suggestions.py.

Each pair is scored two ways: on its own (a session of two needs) and with every text of the
set in one session (about a hundred needs, as a large room), since what a room has posted
around a pair can change its score."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

PAIRS_FILE = Path(__file__).parent / "data" / "merge_pairs.yaml"
MERGE_KINDS = ("paraphrase", "translation")

Scorer = Callable[[Sequence[tuple[int, str]], Sequence[tuple[int, str]]], list]


@dataclass(frozen=True)
class Pair:
    kind: str
    a: str
    b: str

    @property
    def same(self) -> bool:
        return self.kind in MERGE_KINDS


@dataclass(frozen=True)
class Quality:
    true_positives: int
    false_positives: int
    false_negatives: int
    missed: tuple[Pair, ...]
    wrong: tuple[Pair, ...]

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        same = self.true_positives + self.false_negatives
        return self.true_positives / same if same else 1.0

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.2f}, recall {self.recall:.2f} "
            f"({self.true_positives} found, {self.false_positives} wrong, "
            f"{self.false_negatives} missed)"
        )


def labelled_pairs() -> list[Pair]:
    return [Pair(**row) for row in yaml.safe_load(PAIRS_FILE.read_text())["pairs"]]


def _quality(pairs: list[Pair], suggested: list[bool]) -> Quality:
    missed = tuple(p for p, s in zip(pairs, suggested, strict=True) if p.same and not s)
    wrong = tuple(p for p, s in zip(pairs, suggested, strict=True) if s and not p.same)
    found = sum(1 for p, s in zip(pairs, suggested, strict=True) if s and p.same)
    return Quality(found, len(wrong), len(missed), missed, wrong)


def pairwise(similar_pairs: Scorer, pairs: list[Pair] | None = None) -> Quality:
    """Each pair as the only two needs of a session."""
    pairs = pairs if pairs is not None else labelled_pairs()
    suggested = []
    for pair in pairs:
        needs = [(1, pair.a), (2, pair.b)]
        suggested.append(any((a, b) == (1, 2) for a, b, *_ in similar_pairs(needs, needs)))
    return _quality(pairs, suggested)


def in_one_session(similar_pairs: Scorer, pairs: list[Pair] | None = None) -> Quality:
    """Every text of the set as the needs of one session, all compared at once."""
    pairs = pairs if pairs is not None else labelled_pairs()
    ids: dict[str, int] = {}
    for pair in pairs:
        for text in (pair.a, pair.b):
            ids.setdefault(text, len(ids) + 1)
    needs = [(pk, text) for text, pk in ids.items()]
    found = {(a, b) for a, b, *_ in similar_pairs(needs, needs)}
    suggested = [(min(ids[p.a], ids[p.b]), max(ids[p.a], ids[p.b])) in found for p in pairs]
    return _quality(pairs, suggested)
