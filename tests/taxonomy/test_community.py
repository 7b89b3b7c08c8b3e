"""The community the workshop is about, and where the taxonomy's research pays attention to it:
recorded in the data file (the taxonomy's community, each reference's communities), editable in
the admin, exported and loaded back, and derived for each strategy from its references."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from taxonomy.community import community_references
from taxonomy.datafile import BUNDLED_TAXONOMY_FILE, TaxonomyFileError
from taxonomy.datafile.schema import FILE_SCHEMA
from taxonomy.exporting import export_taxonomy, taxonomy_to_yaml
from taxonomy.loading import load_taxonomy
from taxonomy.models import Reference, Strategy, Taxonomy
from tests.factories import CaseFactory, ReferenceFactory, StrategyFactory, TaxonomyFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_TEXT = BUNDLED_TAXONOMY_FILE.read_text(encoding="utf-8")


def test_the_bundled_research_attends_to_the_community_only_in_platform_strategies():
    load_taxonomy(BUNDLED_TAXONOMY_FILE)
    taxonomy = Taxonomy.objects.get(is_default=True)

    attending = {
        strategy.slug: [reference.number for reference in references]
        for strategy in Strategy.objects.filter(taxonomy=taxonomy)
        if (references := community_references(taxonomy).get(strategy.pk))
    }

    assert (taxonomy.community, taxonomy.community_name) == ("lgbtqia2s", "LGBTQIA2S+ communities")
    assert taxonomy.community_name_fr == "communautés LGBTQIA2S+"
    # [6] and [22] through the cases that illustrate folk theorisation, [14] cited directly
    # and through the migration to RedNote.
    assert attending == {
        "folk-theorisation": [6, 22],
        "conscious-data-contribution": [14],
        "platform-migration": [14],
    }
    approaches = set(Strategy.objects.filter(slug__in=attending).values_list("approach", flat=True))
    assert approaches == {"platform"}  # no model-based strategy cites such work
    studied = Reference.objects.filter(taxonomy=taxonomy).exclude(communities=[])
    assert sorted(studied.values_list("number", flat=True)) == [6, 14, 22]


def test_a_strategy_attends_through_its_own_references_or_its_cases():
    taxonomy = TaxonomyFactory(community="trans-creators", community_name="Trans creators")
    about = ReferenceFactory(taxonomy=taxonomy, communities=["trans-creators", "artists"])
    other = ReferenceFactory(taxonomy=taxonomy, communities=["gig-workers"])
    cited = StrategyFactory(category__taxonomy=taxonomy, references=[about, other])
    illustrated = StrategyFactory(category__taxonomy=taxonomy)
    silent = StrategyFactory(category__taxonomy=taxonomy, references=[other])
    CaseFactory(taxonomy=taxonomy, strategies=[illustrated, silent], references=[about])
    CaseFactory(taxonomy=taxonomy, strategies=[silent], references=[other])

    found = community_references(taxonomy)

    assert found == {cited.pk: [about], illustrated.pk: [about], silent.pk: [about]}
    taxonomy.community = ""
    assert community_references(taxonomy) == {}


def test_the_community_round_trips_through_export_and_load():
    load_taxonomy(BUNDLED_TAXONOMY_FILE)
    taxonomy = Taxonomy.objects.get(is_default=True)

    data = export_taxonomy(taxonomy)
    text = taxonomy_to_yaml(data)

    assert data["taxonomy"]["community"] == "lgbtqia2s"
    assert data["taxonomy"]["fr"]["community_name"] == "communautés LGBTQIA2S+"
    assert [r["number"] for r in data["references"] if r.get("communities")] == [6, 14, 22]
    assert "communities: [lgbtqia2s]" in text
    assert not load_taxonomy(data).changed


def test_editing_the_community_in_the_file_changes_what_the_strategies_attend_to(tmp_path):
    load_taxonomy(BUNDLED_TAXONOMY_FILE)
    text = BUNDLED_TEXT.replace("    communities: [lgbtqia2s]\n", "", 1)  # [6] no longer
    path = tmp_path / "ours.yaml"
    path.write_text(text, encoding="utf-8")

    summary = load_taxonomy(path)

    taxonomy = Taxonomy.objects.get(is_default=True)
    folk = Strategy.objects.get(taxonomy=taxonomy, slug="folk-theorisation")
    assert summary.counts["references"].updated == 1
    assert [r.number for r in community_references(taxonomy)[folk.pk]] == [22]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  community_name: LGBTQIA2S+ communities\n",
            "",
            "taxonomy.community_name: is required when community is given",
        ),
        (
            "  community: lgbtqia2s\n",
            "",
            "taxonomy.community: is required when community_name is given",
        ),
        (
            "    communities: [lgbtqia2s]\n",
            "    communities: [LGBTQ+ people]\n",
            "references[5].communities[0]: 'LGBTQ+ people' is not a slug",
        ),
    ],
)
def test_a_community_without_its_name_or_not_a_slug_is_refused(tmp_path, old, new, message):
    path = tmp_path / "ours.yaml"
    path.write_text(BUNDLED_TEXT.replace(old, new, 1), encoding="utf-8")

    with pytest.raises(TaxonomyFileError) as refused:
        load_taxonomy(path)

    assert len(refused.value.problems) == 1
    assert message in refused.value.problems[0]
    assert refused.value.problems[0].startswith("ours.yaml line ")
    assert not Taxonomy.objects.exists()


def test_the_admin_refuses_communities_that_are_not_a_list_of_slugs():
    reference = ReferenceFactory(taxonomy=TaxonomyFactory())
    for wrong in ("lgbtqia2s", ["LGBTQ+ people"], [3]):
        reference.communities = wrong
        with pytest.raises(ValidationError):
            reference.full_clean()
    reference.communities = ["lgbtqia2s", "trans_creators"]
    reference.full_clean()


def test_the_published_json_schema_is_the_one_the_loader_checks():
    published = json.loads((ROOT / "docs" / "taxonomy-schema.json").read_text(encoding="utf-8"))

    assert published == json.loads(json.dumps(FILE_SCHEMA)), (
        "docs/taxonomy-schema.json is stale: "
        "python manage.py export_taxonomy --schema --output docs/taxonomy-schema.json"
    )
