"""Needs that look like the same need, in English, in French or across the two: text similarity
for the facilitators' merge suggestions.

A need becomes a set of features before two needs are compared:

- the words and phrases of the taxonomy's bilingual glossary it contains (``glossary`` in the
  data file, and the ``synonyms`` of its strategies and cases, docs/taxonomy-format.md) become
  one feature per glossary entry, whichever language and form it is written in: "shadowbanned",
  "masquées" and "shadowban" are one feature, "posts" and "publications" another;
- every other word of substance becomes its Snowball stem (PyStemmer), in English or in French
  as the need's small words say, so "explanations" and "explain" meet;
- small words of either language are dropped.

Two needs score the cosine of their feature sets (0-100). A word in a script the other need
has none of (an Arabic need beside an English one) is left out of that comparison: nothing here
reads that script, so it says neither that the needs agree nor that they differ.

Scores depend only on the two texts and the glossary, never on the other needs of the room, so
a pair scores the same in a session of two needs and of two thousand. Measured on the labelled
pairs in tests/sessions/data/merge_pairs.yaml (tests/sessions/test_merge_quality.py);
bench/merge_suggestions.py gives the time on 2,000 needs."""

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from math import sqrt

import Stemmer

from taxonomy.words import folded

# A pair at or above this score (0-100, the cosine of the two needs' features) is suggested.
# Chosen on tests/sessions/data/merge_pairs.yaml: paraphrases and translations of one need
# score 52-100, different needs on one theme mostly 0-50 (test_merge_quality.py holds the
# precision and recall it gives).
THRESHOLD = 52
SHORTEST = 2  # features a need must have before it is compared at all

_ENGLISH_SMALL_WORDS = """
    a about all an and any are as at be been being by can could did do does for from get gets
    got has have i if in into is it its me more my need needs no not of on or our should so
    than that the their them these they this those to us want was way ways we were what when
    where whether which who will with without would you your actually really
"""
_FRENCH_SMALL_WORDS = """
    a au aux avec c ce ces comment d dans de des du elle elles en est et etre eux il ils j je l
    la le les leur leurs lui m ma mais me mes moi mon n ne nos notre nous on ont ou par pas plus
    pour qu quand que qui s sa sans se ses son sont sur t ta te tes toi ton tu un une vos votre
    vous y besoin besoins avoir faut vraiment
"""
_ENGLISH = frozenset(_ENGLISH_SMALL_WORDS.split())
_FRENCH = frozenset(_FRENCH_SMALL_WORDS.split())
_SMALL_WORDS = _ENGLISH | _FRENCH
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMERS = {"en": Stemmer.Stemmer("english"), "fr": Stemmer.Stemmer("french")}


def words(text: str) -> list[str]:
    """Its words, folded; apostrophes part words ("l'algorithme" is two)."""
    return _WORD.findall(folded(text))


def _language(tokens: Sequence[str]) -> str:
    french = sum(token in _FRENCH for token in tokens)
    english = sum(token in _ENGLISH for token in tokens)
    return "fr" if french > english else "en"


def _script(token: str) -> str:
    """ "" for Latin letters and digits (what the glossary and stemmers read), else the
    Unicode script's name as the first word of the character's name ("ARABIC")."""
    first = token[0]
    if first.isascii():
        return ""
    return unicodedata.name(first, "OTHER").split()[0]


@dataclass(frozen=True)
class Entry:
    """One concept of the glossary: its words and phrases in English and in French."""

    english: tuple[str, ...]
    french: tuple[str, ...] = ()

    @property
    def headword(self) -> str:
        return folded((self.english or self.french)[0])


# Compared by identity: one Glossary per set of entries (``_glossary`` caches them), so the
# features of a text can be cached per glossary.
@dataclass(frozen=True, eq=False)
class Glossary:
    """Phrases (as folded, English-stemmed or French-stemmed words) mapped to the concepts
    that contain them. Entries with the same headword are one concept, so a word listed as a
    synonym of several strategies counts once."""

    phrases: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    longest: int = 0

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> "Glossary":
        return _glossary(tuple(sorted(set(entries), key=lambda e: (e.english, e.french))))

    @classmethod
    def from_terms(cls, entries: Iterable[dict]) -> "Glossary":
        """From the data file's entries, {"en": [...], "fr": [...]} (taxonomy.queries.
        term_entries, or a file's ``glossary`` and ``synonyms`` as read)."""
        return cls.of(
            Entry(tuple(entry.get("en") or ()), tuple(entry.get("fr") or ()))
            for entry in entries
            if entry.get("en") or entry.get("fr")
        )


@lru_cache(maxsize=8)
def _glossary(entries: tuple[Entry, ...]) -> Glossary:
    phrases: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for entry in entries:
        concept = f"~{entry.headword}"
        for term in (*entry.english, *entry.french):
            tokens = words(term)
            if not tokens:
                continue
            # Matched in any of its forms: as written, or stemmed in either language, so
            # "shadowbanned" meets "shadowban" and "publications" meets "publication".
            phrases[tuple(tokens)].add(concept)
            for stemmer in _STEMMERS.values():
                stems = tuple(stemmer.stemWords(tokens))
                # "ATS" stems to "at": a stem that is a small word would match everywhere.
                if not (len(stems) == 1 and stems[0] in _SMALL_WORDS):
                    phrases[stems].add(concept)
    return Glossary(
        phrases={phrase: frozenset(concepts) for phrase, concepts in phrases.items()},
        longest=max(map(len, phrases), default=0),
    )


EMPTY_GLOSSARY = Glossary()


def features(text: str, glossary: Glossary = EMPTY_GLOSSARY) -> frozenset[str]:
    """What a need says, as comparable features: glossary concepts (``~headword``) and the
    stems of its other words of substance. Glossary phrases are matched longest first."""
    tokens = words(text)
    stemmer = _STEMMERS[_language(tokens)]
    forms = (tokens, _STEMMERS["en"].stemWords(tokens), _STEMMERS["fr"].stemWords(tokens))
    found: set[str] = set()
    index = 0
    while index < len(tokens):
        for length in range(min(glossary.longest, len(tokens) - index), 0, -1):
            concepts = next(
                (
                    glossary.phrases[phrase]
                    for form in forms
                    if (phrase := tuple(form[index : index + length])) in glossary.phrases
                ),
                None,
            )
            if concepts:
                found |= concepts
                index += length
                break
        else:
            token = tokens[index]
            index += 1
            if token not in _SMALL_WORDS and (len(token) > 1 or not token.isascii()):
                found.add(stemmer.stemWord(token) if token.isascii() else token)
    return frozenset(found)


@dataclass(frozen=True)
class _Need:
    pk: int
    features: frozenset[str]
    scripts: frozenset[str]
    norm: float  # the square root of the number of features


def _need(pk: int, text: str, glossary: Glossary) -> _Need:
    # Not cached by text: a worker's NeedIndex keeps each need's features between refreshes,
    # by id, and a cache keyed by texts would keep an erased participant's words in memory.
    found = features(text, glossary)
    return _Need(pk, found, frozenset(_script(feature) for feature in found), sqrt(len(found)))


def score(first: _Need, second: _Need, shared: int) -> float:
    """The cosine of two feature sets, 0-100, over the scripts both needs are written in."""
    sizes = []
    for need, other in ((first, second), (second, first)):
        unread = need.scripts - other.scripts
        sizes.append(
            len(need.features)
            if not unread
            else sum(1 for feature in need.features if _script(feature) not in unread)
        )
    if not all(sizes):
        return 0.0
    return 100 * shared / sqrt(sizes[0] * sizes[1])


_MISSING = object()
Pair = tuple[int, int, int]  # (lower need id, higher need id, score)


class NeedIndex:
    """A session's comparable needs and an inverted index of their features, kept between
    refreshes (sessions.services.suggestions): a refresh reads again only the needs changed
    since the last, not every need of the session, and scores a fresh need only against the
    needs that share a feature with it. Not thread-safe: its user holds a lock."""

    def __init__(self, glossary: Glossary = EMPTY_GLOSSARY) -> None:
        self.glossary = glossary
        self._versions: dict[int, object] = {}  # every need held: the version its text is of
        self._needs: dict[int, _Need] = {}  # those with enough features to be compared
        self._holders: dict[str, set[int]] = defaultdict(set)

    def stale(self, versions: dict[int, object]) -> list[int]:
        """The needs of ``versions`` (need id: version, such as its last change) whose text
        this index lacks or holds in another version. Needs it holds that ``versions`` lacks
        (hidden, merged, erased) are forgotten."""
        for pk in self._versions.keys() - versions.keys():
            self._forget(pk)
        held = self._versions
        return [pk for pk, version in versions.items() if held.get(pk, _MISSING) != version]

    def add(self, rows: Iterable[tuple[int, str, object]]) -> None:
        """Needs as (id, text, version), in place of what the index held for them."""
        for pk, text, version in rows:
            self._forget(pk)
            self._versions[pk] = version
            need = _need(pk, text, self.glossary)
            if len(need.features) >= SHORTEST:
                self._needs[pk] = need
                for feature in need.features:
                    self._holders[feature].add(pk)

    def _forget(self, pk: int) -> None:
        self._versions.pop(pk, None)
        need = self._needs.pop(pk, None)
        if need is None:
            return
        for feature in need.features:
            holders = self._holders[feature]
            holders.discard(pk)
            if not holders:
                del self._holders[feature]

    def similar_to(self, fresh: Iterable[int], threshold: int = THRESHOLD) -> list[Pair]:
        """Pairs (lower id, higher id, score) of a ``fresh`` need and another need held that
        score at least ``threshold``; each pair once, never a need with itself."""
        pairs: dict[tuple[int, int], int] = {}
        compared: set[int] = set()  # fresh needs already scored against all (and itself)
        for pk in fresh:
            need = self._needs.get(pk)
            if need is None or pk in compared:
                continue
            compared.add(pk)
            shared = Counter(
                other for feature in need.features for other in self._holders.get(feature, ())
            )
            for other_pk, count in shared.items():
                if other_pk in compared:
                    continue
                other = self._needs[other_pk]
                if need.scripts == other.scripts:
                    value = 100 * count / (need.norm * other.norm)
                else:
                    value = score(need, other, count)
                if value >= threshold:
                    pairs[(min(pk, other_pk), max(pk, other_pk))] = round(value)
        return sorted((a, b, value) for (a, b), value in pairs.items())


def similar_pairs(
    fresh: Sequence[tuple[int, str]],
    others: Sequence[tuple[int, str]],
    threshold: int = THRESHOLD,
    glossary: Glossary = EMPTY_GLOSSARY,
) -> list[Pair]:
    """Pairs (lower id, higher id, score) of a fresh need and another need whose texts score
    at least ``threshold``; each pair once, never a need with itself. A fresh need's text
    stands for its id among ``others``."""
    index = NeedIndex(glossary)
    index.add((pk, text, None) for pk, text in others)
    index.add((pk, text, None) for pk, text in fresh)
    return index.similar_to(pk for pk, _ in fresh)
