"""Needs that look like the same need, in English or French: text similarity for the
facilitators' merge suggestions (rapidfuzz, not a distance of our own).

Texts are compared after folding case and accents and dropping the small words of either
language, with rapidfuzz's token-set ratio (word order and extra words matter less than the
words two needs share), in one C loop over the other needs for each new one."""

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz, process

# A pair at or above this score (0-100) is suggested. Measured on the fixtures in
# tests/sessions/test_merge_suggestions.py: paraphrases of one need score 86-100, distinct
# needs on the same theme 40-75.
THRESHOLD = 85
SHORTEST = 3  # words of substance a text needs before it is compared at all

# The small words of English and French, which two different needs share as readily as two
# versions of one need.
_SMALL_WORDS = """
    a an and are as at be by for from has have in into is it its of on or our so than that the
    their them these they this those to us was we were what when where which who will with
    without would you your more less not no nor can could should must need needs want
    au aux avec ce ces dans de des du elle elles en est et etre eux il ils je la le les leur
    leurs lui ma mais me mes moi mon ne nos notre nous on ou par pas plus pour qu que qui sa
    sans se ses son sur ta te tes toi ton tu un une vos votre vous y l d j n s t c m
    besoin besoins avoir faut
"""
_STOPWORDS = frozenset(_SMALL_WORDS.split())
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def normalised(text: str) -> str:
    """The words that carry a need's meaning: no accents, no case, no small words."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(word for word in _WORD.findall(plain) if word not in _STOPWORDS)


def similar_pairs(
    fresh: Sequence[tuple[int, str]],
    others: Sequence[tuple[int, str]],
    threshold: int = THRESHOLD,
) -> list[tuple[int, int, int]]:
    """Pairs (lower id, higher id, score) of a fresh need and another need whose texts score
    at least ``threshold``; each pair once, never a need with itself."""
    fresh = [(pk, normalised(text)) for pk, text in fresh]
    others = [(pk, normalised(text)) for pk, text in others]
    fresh = [(pk, text) for pk, text in fresh if len(text.split()) >= SHORTEST]
    others = [(pk, text) for pk, text in others if len(text.split()) >= SHORTEST]
    if not fresh or not others:
        return []
    choices = dict(others)
    pairs: dict[tuple[int, int], int] = {}
    for pk, text in fresh:
        # One C loop over every other need per fresh need.
        for _choice, score, other in process.extract(
            text, choices, scorer=fuzz.token_set_ratio, score_cutoff=threshold, limit=None
        ):
            if other != pk:
                key = (min(pk, other), max(pk, other))
                pairs[key] = max(pairs.get(key, 0), round(score))
    return [(a, b, score) for (a, b), score in sorted(pairs.items())]
