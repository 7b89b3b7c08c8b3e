"""The community's own words in the taxonomy data file: French for every text, search synonyms
in both languages (shadowban, algospeak, masqué), and a glossary, kept through export and
import."""

from html import unescape

import pytest
import yaml
from django.urls import reverse

from taxonomy.datafile import BUNDLED_TAXONOMY_FILE, TaxonomyFileError, parse_taxonomy_yaml
from taxonomy.datafile.schema import TRANSLATION_LANGUAGE
from taxonomy.exporting import export_taxonomy, taxonomy_to_yaml
from taxonomy.loading import load_taxonomy
from taxonomy.models import Case, Category, Strategy, Taxonomy
from taxonomy.queries import term_entries
from tests.taxonomy.test_views import result_names, search


def names(response, kind: str) -> list[str]:
    return [unescape(name) for name in result_names(response, kind)]


pytestmark = pytest.mark.django_db

BUNDLED = yaml.safe_load(BUNDLED_TAXONOMY_FILE.read_text())
SECTIONS = {"categories": Category, "strategies": Strategy, "cases": Case}


@pytest.fixture
def bundled():
    load_taxonomy(BUNDLED_TAXONOMY_FILE)
    return Taxonomy.objects.get(is_default=True)


def french(client):
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    return client


def untranslated() -> list[str]:
    """Every text of the bundled file that has no French version, as section[slug].field."""
    items = [("taxonomy", BUNDLED["taxonomy"], Taxonomy)]
    items += [
        (f"{section}[{item['slug']}]", item, model)
        for section, model in SECTIONS.items()
        for item in BUNDLED[section]
    ]
    return [
        f"{where}.{name}"
        for where, item, model in items
        for name in model.translated_fields
        if item.get(name) and not (item.get(TRANSLATION_LANGUAGE) or {}).get(name)
    ]


def test_every_text_of_the_bundled_file_has_its_french_version():
    assert untranslated() == []


def test_every_strategy_and_every_synonym_entry_is_in_both_languages():
    entries = list(BUNDLED["taxonomy"]["glossary"])
    for section in ("strategies", "cases"):
        entries += [entry for item in BUNDLED[section] for entry in item.get("synonyms", [])]

    assert len(entries) > 80
    assert [entry for entry in entries if not (entry.get("en") and entry.get("fr"))] == []


def test_the_taxonomy_s_introduction_is_in_french_in_the_french_interface(client, bundled):
    page = french(client).get(reverse("taxonomy:overview"))

    assert "Taxonomie de l’action collective dans les systèmes algorithmiques" in page.text
    assert "Les façons dont des personnes et des communautés résistent" in page.text
    assert "Ways in which people and communities push back" not in page.text


@pytest.mark.parametrize(
    ("query", "strategies", "cases"),
    [
        (
            "shadowban",
            ["Folk theorisation", "Everyday algorithmic auditing"],
            ["LGBTQ+ TikTok creators' folk theories of the For You Page"],
        ),
        ("algospeak", ["Folk theorisation"], ["Hashtag substitution by queer creators in China"]),
        ("deplatforming", ["Legal contestation", "Platform migration"], []),
        ("masqué", ["Folk theorisation", "Everyday algorithmic auditing"], []),
        ("l'algorithme", ["Folk theorisation"], []),
    ],
)
def test_the_community_s_words_find_their_strategies_and_cases(
    client, bundled, query, strategies, cases
):
    response = search(client, query)

    assert names(response, "strategies")[: len(strategies)] == strategies
    assert set(cases) <= set(names(response, "cases"))


def test_shadowban_finds_folk_theorisation_in_the_french_interface_too(client, bundled):
    response = search(french(client), "shadowbanni")

    assert names(response, "strategies")[:2] == [
        "Théorisation populaire",
        "Audit algorithmique au quotidien",
    ]
    assert (
        "Théories populaires de la page Pour toi chez les créateur·rice·s LGBTQ+ de TikTok"
        in names(search(client, "shadowban"), "cases")
    )


def test_export_and_import_keep_the_synonyms_and_the_glossary(bundled, tmp_path):
    exported = taxonomy_to_yaml(export_taxonomy(bundled))
    data = parse_taxonomy_yaml(exported)
    folk = next(s for s in data["strategies"] if s["slug"] == "folk-theorisation")
    assert folk["synonyms"][0]["fr"][:3] == ["shadowban", "shadowbanni", "shadowbannie"]
    assert data["taxonomy"]["glossary"] == BUNDLED["taxonomy"]["glossary"]

    words_before = sorted(map(str, term_entries(bundled)))
    Taxonomy.objects.all().delete()
    path = tmp_path / "export.yaml"
    path.write_text(exported)
    load_taxonomy(path)

    reloaded = Taxonomy.objects.get()
    assert reloaded.glossary == BUNDLED["taxonomy"]["glossary"]
    assert Strategy.objects.get(slug="folk-theorisation").synonyms == folk["synonyms"]
    assert taxonomy_to_yaml(export_taxonomy(reloaded)) == exported
    assert sorted(map(str, term_entries(reloaded))) == words_before


SMALL = """\
schema: 1
taxonomy:
  slug: words
  title: Words
  glossary:
    - en: [posts]
      fr: [publications]
categories:
  - slug: visible
    name: Visible
    goal: Making harms visible
strategies:
  - slug: folk
    name: Folk theorisation
    category: visible
    approach: platform
    summary: Theories.
    synonyms:
      - fr: [masqué]
      - en: [shadowban, shadowban]
        nl: [verborgen]
"""


def test_a_synonym_entry_needs_english_words_and_no_other_language():
    with pytest.raises(TaxonomyFileError) as refused:
        load_taxonomy(parse_taxonomy_yaml(SMALL), name="words.yaml")

    problems = "\n".join(refused.value.problems)
    assert "words.yaml line 19: strategies[0].synonyms[0].en: is required" in problems
    assert "line 21: strategies[0].synonyms[1].nl: unknown key (allowed: en, fr)" in problems
    assert not Taxonomy.objects.exists()


def test_a_file_without_synonyms_still_loads_and_exports_none():
    minimal = SMALL.split("    synonyms:")[0]

    load_taxonomy(parse_taxonomy_yaml(minimal), name="words.yaml")

    taxonomy = Taxonomy.objects.get()
    assert taxonomy.glossary == [{"en": ["posts"], "fr": ["publications"]}]
    assert "synonyms" not in export_taxonomy(taxonomy)["strategies"][0]
