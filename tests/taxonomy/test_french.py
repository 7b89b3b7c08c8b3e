"""French versions of the taxonomy's text: model fields, the fallback to English, the pages,
and the optional `fr:` mapping of the data file."""

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from taxonomy.datafile import BUNDLED_TAXONOMY_FILE, TaxonomyFileError, parse_taxonomy_yaml
from taxonomy.exporting import export_taxonomy, taxonomy_to_yaml
from taxonomy.loading import load_taxonomy
from taxonomy.models import Case, Category, Strategy
from tests.factories import CaseFactory, CategoryFactory, StrategyFactory

pytestmark = pytest.mark.django_db

SMALL_FILE = """\
schema: 1
taxonomy:
  slug: bilingual
  title: Bilingual
  default: true
categories:
  - slug: visible
    name: Auditing Strategies
    goal: Making harms visible
    fr:
      name: Stratégies d’audit
      goal: Rendre les préjudices visibles
strategies:
  - slug: data-strikes
    name: Data strikes
    category: visible
    approach: platform
    summary: Withholding data together.
    fr:
      name: Grèves de données
      summary: Retenir ses données, ensemble.
  - slug: untranslated
    name: Untranslated strategy
    category: visible
    approach: model
    summary: Only in English.
cases:
  - slug: blackout
    name: Reddit blackout
    community: Moderators
    summary: Subreddits went dark.
    strategies: [data-strikes]
    fr:
      name: Panne de Reddit
      community: Modératrices et modérateurs
"""


def french(client):
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    return client


def test_localized_falls_back_to_english_where_the_french_is_empty():
    strategy = StrategyFactory(name="Data strikes", name_fr="", summary="S", summary_fr="R")
    with translation.override("fr"):
        assert strategy.localized("name") == "Data strikes"
        assert strategy.localized("summary") == "R"
    with translation.override("en"):
        assert strategy.localized("summary") == "S"


def test_localized_refuses_a_field_without_translation():
    with pytest.raises(AttributeError):
        StrategyFactory().localized("slug")


def test_the_tr_filter_follows_the_active_language():
    category = CategoryFactory(goal="Making harms visible", goal_fr="Rendre visibles")
    template = Template('{% load taxonomy_tags %}{{ category|tr:"goal" }}')
    with translation.override("fr"):
        assert template.render(Context({"category": category})) == "Rendre visibles"
    with translation.override("en"):
        assert template.render(Context({"category": category})) == "Making harms visible"


def test_pages_show_french_text_in_french_and_english_text_in_english(client):
    strategy = StrategyFactory(
        name="Data strikes",
        name_fr="Grèves de données",
        summary="Withholding data together.",
        summary_fr="Retenir ses données, ensemble.",
        category__name="Opt-out",
        category__name_fr="Retrait",
    )
    untranslated = StrategyFactory(category=strategy.category, name="Plain English")
    case = CaseFactory(strategies=[strategy], name="Reddit blackout", name_fr="Panne de Reddit")

    english = client.get(strategy.get_absolute_url()).content.decode()
    assert "Data strikes" in english and "Grèves de données" not in english

    french(client)
    page = client.get(strategy.get_absolute_url()).content.decode()
    assert "Grèves de données" in page
    assert "Retenir ses données, ensemble." in page
    assert "Retrait" in page
    assert "Panne de Reddit" in page
    overview = client.get(reverse("taxonomy:overview")).content.decode()
    assert "Grèves de données" in overview
    assert "Plain English" in overview  # no French: English is shown
    assert "Panne de Reddit" in client.get(case.get_absolute_url()).content.decode()
    assert untranslated.name in client.get(untranslated.get_absolute_url()).content.decode()


def test_loader_reads_and_exports_the_fr_mapping():
    summary = load_taxonomy(parse_taxonomy_yaml(SMALL_FILE), name="small.yaml")
    category = Category.objects.get(slug="visible")
    assert category.name_fr == "Stratégies d’audit"
    assert category.goal_fr == "Rendre les préjudices visibles"
    assert category.summary_fr == ""
    assert Strategy.objects.get(slug="data-strikes").name_fr == "Grèves de données"
    assert Strategy.objects.get(slug="untranslated").name_fr == ""
    case = Case.objects.get(slug="blackout")
    assert (case.name_fr, case.community_fr) == ("Panne de Reddit", "Modératrices et modérateurs")

    exported = export_taxonomy(summary.taxonomy)
    assert exported["categories"][0]["fr"] == {
        "name": "Stratégies d’audit",
        "goal": "Rendre les préjudices visibles",
    }
    assert "fr" not in exported["strategies"][1]  # nothing translated, nothing exported
    # Round trip: the export loads without a change, and exports the same text again.
    text = taxonomy_to_yaml(exported)
    again = load_taxonomy(parse_taxonomy_yaml(text), name="export.yaml")
    assert not again.changed
    assert taxonomy_to_yaml(export_taxonomy(again.taxonomy)) == text


def test_loader_updates_and_clears_translations():
    load_taxonomy(parse_taxonomy_yaml(SMALL_FILE))
    changed = SMALL_FILE.replace("      name: Grèves de données\n", "")
    summary = load_taxonomy(parse_taxonomy_yaml(changed))
    assert summary.counts["strategies"].updated == 1
    assert Strategy.objects.get(slug="data-strikes").name_fr == ""


def test_loader_refuses_an_unknown_key_inside_fr_with_its_line():
    text = SMALL_FILE.replace("      name: Grèves de données\n", "      nom: Grèves de données\n")
    line = text.splitlines().index("      nom: Grèves de données") + 1
    with pytest.raises(TaxonomyFileError) as error:
        load_taxonomy(parse_taxonomy_yaml(text), name="small.yaml")
    assert error.value.problems == [
        f"small.yaml line {line}: strategies[0].fr.nom: unknown key "
        "(allowed: name, summary, description)"
    ]
    assert not Strategy.objects.exists()


def test_loader_refuses_an_fr_that_is_not_a_mapping_or_too_long():
    text = SMALL_FILE.replace(
        "    fr:\n      name: Panne de Reddit\n      community: Modératrices et modérateurs\n",
        "    fr: Panne de Reddit\n",
    ).replace("      summary: Retenir ses données, ensemble.", "      summary: " + "x" * 301)
    with pytest.raises(TaxonomyFileError) as error:
        load_taxonomy(parse_taxonomy_yaml(text), name="small.yaml")
    problems = "\n".join(error.value.problems)
    assert "strategies[0].fr.summary: is 301 characters long; the limit is 300" in problems
    assert "cases[0].fr: expected a mapping, got a string ('Panne de Reddit')" in problems


def test_bundled_taxonomy_has_french_names_and_summaries():
    load_taxonomy(BUNDLED_TAXONOMY_FILE)
    for category in Category.objects.all():
        assert category.name_fr and category.goal_fr and category.summary_fr, category.slug
    strategies = Strategy.objects.all()
    assert strategies.count() == 21
    for strategy in strategies:
        assert strategy.name_fr and strategy.summary_fr, strategy.slug
