"""Merge suggestions find what a room would merge: paraphrases and the same need in English and
French, and not different needs on one theme. Measured on the labelled pairs of
data/merge_pairs.yaml with the bundled taxonomy's glossary (its ``glossary`` and the
``synonyms`` of its strategies and cases)."""

import io
from collections import Counter

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command

from sessions import queries, services
from sessions.demo import DEMO_NEEDS, create_demo_session
from sessions.similarity import Glossary, similar_pairs
from taxonomy.datafile import BUNDLED_TAXONOMY_FILE
from taxonomy.models import Taxonomy
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory
from tests.sessions.merge_quality import in_one_session, labelled_pairs, pairwise

ISSUE_NEEDS = [
    "Know why my posts get shadowbanned when I talk about being trans",
    "أريد أن أعرف لماذا يتم حظر منشوراتنا / know why our posts are banned",
    "Savoir pourquoi mes publications sont masquées (shadowban)",
]


def bundled_glossary() -> Glossary:
    data = yaml.safe_load(BUNDLED_TAXONOMY_FILE.read_text())
    entries = list(data["taxonomy"].get("glossary") or [])
    for section in ("strategies", "cases"):
        for item in data[section]:
            entries += item.get("synonyms") or []
    return Glossary.from_terms(entries)


def with_glossary(fresh, others):
    return similar_pairs(fresh, others, glossary=bundled_glossary())


def test_the_labelled_set_has_paraphrases_translations_and_distinct_needs():
    kinds = Counter(pair.kind for pair in labelled_pairs())

    assert sum(kinds.values()) >= 60
    assert min(kinds["paraphrase"], kinds["translation"]) >= 15 and kinds["distinct"] >= 25


@pytest.mark.parametrize("measure", [pairwise, in_one_session])
def test_suggestions_find_four_fifths_of_the_duplicates_and_are_nine_tenths_right(measure):
    quality = measure(with_glossary)

    assert quality.recall >= 0.8, quality.missed
    assert quality.precision >= 0.9, quality.wrong


def test_the_glossary_is_what_finds_the_translations():
    translations = [pair for pair in labelled_pairs() if pair.kind == "translation"]

    assert pairwise(similar_pairs, translations).recall < 0.3
    assert pairwise(with_glossary, translations).recall >= 0.8


@pytest.fixture
def bundled_taxonomy(db):
    call_command("load_taxonomy", stdout=io.StringIO())
    return Taxonomy.objects.get(is_default=True)


def test_the_three_needs_of_the_issue_are_suggested_as_one(bundled_taxonomy):
    live_session = LiveSessionFactory(taxonomy=bundled_taxonomy)
    needs = [
        NeedFactory(
            live_session=live_session,
            author=ParticipantFactory(live_session=live_session),
            text=text,
        )
        for text in ISSUE_NEEDS
    ]

    services.refresh_merge_suggestions(live_session=live_session)

    pairs = {(s.need, s.other) for s in queries.merge_suggestions(live_session)}
    assert pairs == {(needs[0], needs[1]), (needs[0], needs[2]), (needs[1], needs[2])}


def test_the_demo_session_shows_merge_suggestions(bundled_taxonomy):
    facilitator = get_user_model().objects.create_user("demo", password="pw")
    live_session = create_demo_session(taxonomy=bundled_taxonomy, facilitator=facilitator)

    services.refresh_merge_suggestions(live_session=live_session)

    texts = {(s.need.text, s.other.text) for s in queries.merge_suggestions(live_session)}
    assert texts == {(DEMO_NEEDS[0][0], DEMO_NEEDS[12][0]), (DEMO_NEEDS[1][0], DEMO_NEEDS[13][0])}


def test_a_taxonomy_without_a_glossary_still_pairs_reworded_needs(db):
    live_session = LiveSessionFactory()
    author = ParticipantFactory(live_session=live_session)
    first, second = (
        NeedFactory(live_session=live_session, author=author, text=text)
        for text in ("Know why my posts are hidden", "Know why my posts get hidden!")
    )

    services.refresh_merge_suggestions(live_session=live_session)

    assert [(s.need, s.other) for s in queries.merge_suggestions(live_session)] == [(first, second)]
