"""The need index a worker keeps between merge-suggestion refreshes (sessions.similarity.
NeedIndex): whatever happened to the session's needs in between (posts, edits, hidden or
merged needs, needs shown again), a refresh suggests what comparing every need afresh would."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.similarity import (
    SHORTEST,
    THRESHOLD,
    Glossary,
    NeedIndex,
    _need,
    score,
    similar_pairs,
)

# Few words, so that random needs often share enough of them to be suggested.
WORDS = [
    "posts",
    "hidden",
    "shadowban",
    "appeal",
    "legal",
    "help",
    "data",
    "dating",
    "apps",
    "pronouns",
    "feed",
    "audit",
]
GLOSSARY = Glossary.from_terms([{"en": ["shadowban", "hidden posts"], "fr": ["publications"]}])

texts = st.lists(st.sampled_from([*WORDS, "publications", "the", "of"]), max_size=6).map(" ".join)
# A change between two refreshes: need id (1-8) posted or edited to a text, or left out.
changes = st.lists(
    st.tuples(st.integers(1, 8), st.one_of(texts, st.none())), min_size=1, max_size=6
)


@settings(max_examples=150, deadline=None)
@given(st.lists(changes, min_size=1, max_size=6))
def test_a_kept_index_suggests_what_comparing_afresh_would(rounds):
    index = NeedIndex(GLOSSARY)
    session: dict[int, tuple[str, int]] = {}  # need id: (text, version) as the database holds
    version = 0
    for round_of_changes in rounds:
        changed = set()
        for pk, text in round_of_changes:
            version += 1
            if text is None:
                session.pop(pk, None)  # hidden, merged or erased
            else:
                session[pk] = (text, version)
                changed.add(pk)
        stale = index.stale({pk: seen for pk, (_, seen) in session.items()})
        index.add((pk, *session[pk]) for pk in stale)
        fresh = sorted(pk for pk in changed if pk in session)

        afresh = [(pk, text) for pk, (text, _) in session.items()]
        expected = similar_pairs([(pk, session[pk][0]) for pk in fresh], afresh, glossary=GLOSSARY)
        assert index.similar_to(fresh) == expected
        assert set(stale) <= set(session)


# Latin words, some in scripts nothing here reads, and a common word most needs share.
MIXED_WORDS = [*WORDS[:8], "платформа", "алгоритм", "منصة", "خوارزمية", "algorithm"]
mixed_texts = st.lists(st.sampled_from(MIXED_WORDS), max_size=8).map(" ".join)


def brute_force(texts: dict[int, str], fresh: list[int], threshold: int) -> list:
    """Every fresh need scored against every other need, as the index's docstring says."""
    needs = {pk: _need(pk, text, GLOSSARY) for pk, text in texts.items()}
    needs = {pk: need for pk, need in needs.items() if len(need.features) >= SHORTEST}
    pairs = {}
    for pk in fresh:
        if pk not in needs:
            continue
        need = needs[pk]
        for other_pk, other in needs.items():
            shared = len(need.features & other.features)
            if other_pk == pk or not shared:
                continue
            if need.scripts == other.scripts:
                value = 100 * shared / (need.norm * other.norm)
            else:
                value = score(need, other, shared)
            if value >= threshold:
                pairs[(min(pk, other_pk), max(pk, other_pk))] = round(value)
    return sorted((a, b, value) for (a, b), value in pairs.items())


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.integers(1, 40), mixed_texts, min_size=1, max_size=40),
    st.data(),
    st.sampled_from([20, 40, THRESHOLD, 70, 90]),
)
def test_it_finds_every_pair_comparing_all_pairs_would(texts, data, threshold):
    """The inverted index loses no pair that scoring every pair finds, in one script or
    across scripts, whatever the threshold."""
    fresh = data.draw(st.lists(st.sampled_from(sorted(texts)), unique=True))
    index = NeedIndex(GLOSSARY)
    index.add((pk, text, 0) for pk, text in texts.items())

    assert index.similar_to(fresh, threshold) == brute_force(texts, fresh, threshold)
