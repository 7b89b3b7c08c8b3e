"""The need index a worker keeps between merge-suggestion refreshes (sessions.similarity.
NeedIndex): whatever happened to the session's needs in between (posts, edits, hidden or
merged needs, needs shown again), a refresh suggests what comparing every need afresh would."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.similarity import Glossary, NeedIndex, similar_pairs

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
