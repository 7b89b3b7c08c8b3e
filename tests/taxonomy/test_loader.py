import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from sessions.models import Mapping
from taxonomy.datafile import BUNDLED_TAXONOMY_FILE, TaxonomyFileError, parse_taxonomy_yaml
from taxonomy.exporting import export_taxonomy, taxonomy_to_yaml
from taxonomy.loading import load_taxonomy
from taxonomy.models import Case, Category, Reference, Strategy, Taxonomy
from tests.factories import TaxonomyFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_TEXT = BUNDLED_TAXONOMY_FILE.read_text(encoding="utf-8")
SLUG = "facct-2026-common-ground"

EXPECTED_STRATEGIES = {
    "auditing-challenging-contesting": [
        "folk-theorisation",
        "everyday-algorithmic-auditing",
        "algorithmic-abandonment",
        "demanding-less-discriminatory-algorithms",
        "legal-contestation",
    ],
    "algorithmic-opt-out": [
        "data-leverage",
        "data-strikes",
        "data-poisoning",
        "conscious-data-contribution",
        "data-refusal",
        "platform-migration",
        "style-and-identity-cloaking",
        "unlearnable-examples",
        "data-defences",
    ],
    "collective-intervention": ["algorithmic-collective-action", "obfuscation"],
    "decision-modification-recommendation": [
        "algorithmic-recourse",
        "counterfactual-explanations",
        "online-collective-recourse",
        "optimising-for-screening-systems",
        "model-extraction",
    ],
}
EXPECTED_CASES = [
    "tiktok-for-you-page-folk-theories",
    "hashtag-substitution-china",
    "twitter-image-cropping-2020",
    "reddit-blackout-2023",
    "tiktok-to-rednote-migration",
    "academics-twitter-to-bluesky",
    "decline-now",
    "adnauseam",
    "ats-friendly-resumes",
    "divino-group-v-google-youtube",
    "louis-v-saferent",
    "mobley-v-workday",
]


def database_snapshot() -> dict:
    """Every taxonomy row and link, to prove that a refused load wrote nothing."""
    tables = [
        Taxonomy,
        Category,
        Strategy,
        Case,
        Reference,
        Strategy.references.through,
        Strategy.related.through,
        Case.strategies.through,
        Case.references.through,
    ]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in tables}


def write(tmp_path: Path, text: str, name: str = "ours.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    """The 1-based line on which needle first appears."""
    return text[: text.index(needle)].count("\n") + 1


def counts(summary) -> dict:
    return {
        name: (c.created, c.updated, c.deleted, c.unchanged) for name, c in summary.counts.items()
    }


@pytest.fixture
def bundled():
    return load_taxonomy(BUNDLED_TAXONOMY_FILE)


def test_bundled_taxonomy_loads_four_categories_in_order(bundled):
    categories = Category.objects.filter(taxonomy__slug=SLUG).order_by("position")

    assert [(c.name, c.goal) for c in categories] == [
        ("Auditing, Challenging, and Contesting Strategies", "Making harms visible"),
        ("Algorithmic Opt-Out Strategies", "Preventing data misuse"),
        ("Collective Intervention Strategies", "Changing algorithmic behaviour"),
        ("Decision Modification and Recommendation Strategies", "Getting a better outcome"),
    ]
    assert all(c.summary and c.description for c in categories)


def test_bundled_taxonomy_is_the_default(bundled):
    taxonomy = Taxonomy.objects.get(is_default=True)

    assert taxonomy.slug == SLUG
    assert taxonomy.title == "Taxonomy of Collective Action in Algorithmic Systems"
    assert taxonomy.version == "1.0"


def test_bundled_taxonomy_has_every_strategy_in_its_category(bundled):
    strategies = Strategy.objects.select_related("category").order_by(
        "category__position", "position"
    )

    by_category: dict[str, list[str]] = {}
    for strategy in strategies:
        by_category.setdefault(strategy.category.slug, []).append(strategy.slug)
    assert by_category == EXPECTED_STRATEGIES
    assert all(s.summary and s.description for s in strategies)


def test_bundled_strategies_record_where_they_act(bundled):
    approaches = dict(Strategy.objects.values_list("slug", "approach"))

    platform = {slug for slug, approach in approaches.items() if approach == "platform"}
    legal = {slug for slug, approach in approaches.items() if approach == "legal_organising"}
    assert platform == {
        "folk-theorisation",
        "everyday-algorithmic-auditing",
        "algorithmic-abandonment",
        "data-strikes",
        "conscious-data-contribution",
        "data-refusal",
        "platform-migration",
    }
    assert legal == {
        "demanding-less-discriminatory-algorithms",
        "legal-contestation",
        "data-leverage",
    }
    assert approaches["style-and-identity-cloaking"] == "model"
    assert approaches["algorithmic-collective-action"] == "model"


def test_bundled_data_leverage_levers_have_it_as_parent(bundled):
    children = Strategy.objects.filter(parent__slug="data-leverage").order_by("position")

    assert [s.slug for s in children] == [
        "data-strikes",
        "data-poisoning",
        "conscious-data-contribution",
    ]
    assert Strategy.objects.exclude(parent=None).count() == 3


def test_bundled_strategies_cite_the_seeds_references(bundled):
    cited = {
        s.slug: sorted(s.references.values_list("number", flat=True))
        for s in Strategy.objects.prefetch_related("references")
    }

    assert cited["folk-theorisation"] == [13]
    assert cited["legal-contestation"] == [7, 25, 26]
    assert cited["style-and-identity-cloaking"] == [18, 19, 20]
    assert cited["model-extraction"] == [2, 24]
    assert cited["data-strikes"] == [27]
    assert cited["counterfactual-explanations"] == [28]


def test_bundled_related_strategies_are_mutual(bundled):
    data_leverage = Strategy.objects.get(slug="data-leverage")

    # Declared only on algorithmic-collective-action's side in the file.
    assert set(data_leverage.related.values_list("slug", flat=True)) == {
        "data-refusal",
        "algorithmic-collective-action",
    }


def test_bundled_taxonomy_has_every_case_from_the_seed(bundled):
    cases = Case.objects.order_by("position")

    assert [c.slug for c in cases] == EXPECTED_CASES
    assert all(c.summary and c.description for c in cases)


@pytest.mark.parametrize(
    ("slug", "year", "community", "platform", "strategies", "references"),
    [
        (
            "twitter-image-cropping-2020",
            2020,
            "Twitter users",
            "Twitter",
            {"everyday-algorithmic-auditing", "algorithmic-abandonment"},
            {4, 11},
        ),
        ("reddit-blackout-2023", 2023, "", "Reddit", {"data-strikes", "data-refusal"}, {17}),
        (
            "tiktok-to-rednote-migration",
            2025,
            "Queer women",
            "TikTok, RedNote",
            {"platform-migration", "conscious-data-contribution"},
            {14},
        ),
        (
            "decline-now",
            None,
            "DoorDash drivers",
            "DoorDash",
            {"algorithmic-collective-action"},
            {23},
        ),
        ("mobley-v-workday", None, "", "Workday", {"legal-contestation"}, {26}),
    ],
)
def test_bundled_case_details(bundled, slug, year, community, platform, strategies, references):
    case = Case.objects.get(slug=slug)

    assert (case.year, case.community, case.platform) == (year, community, platform)
    assert set(case.strategies.values_list("slug", flat=True)) == strategies
    assert set(case.references.values_list("number", flat=True)) == references


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (
            6,
            {
                "key": "devito2022",
                "kind": "article",
                "authors": ["M. A. DeVito"],
                "year": 2022,
                "title": "How transfeminine TikTok creators navigate the algorithmic trap of "
                "visibility via folk theorization",
                "venue": "Proceedings of the ACM on Human-Computer Interaction",
                "volume": "6",
                "issue": "CSCW2",
                "pages": "380:1–380:31",
                "doi": "10.1145/3555105",
                "url": "",
            },
        ),
        (
            8,
            {
                "key": "hardt2023",
                "kind": "inproceedings",
                "authors": [
                    "Moritz Hardt",
                    "Eric Mazumdar",
                    "Celestine Mendler-Dünner",
                    "Tijana Zrnic",
                ],
                "year": 2023,
                "title": "Algorithmic collective action in machine learning",
                "venue": "International conference on machine learning",
                "publisher": "PMLR",
                "pages": "12570–12586",
                "doi": "",
            },
        ),
        (
            16,
            {
                "key": "quelle2026",
                "kind": "preprint",
                "authors": ["Dorian Quelle", "Frederic Denker", "Prashant Garg", "Alexandre Bovet"],
                "year": 2026,
                "title": "Simple contagion drives population-scale platform migration",
                "venue": "",
                "doi": "10.48550/arXiv.2505.24801",
            },
        ),
        (
            2,
            {
                "authors": ["U. Aïvodji", "A. Bolot", "S. Gambs"],
                "year": 2020,
                "title": "Model extraction from counterfactual explanations",
                "doi": "10.48550/arXiv.2009.01884",
            },
        ),
        (
            12,
            {
                "authors": ["A.-H. Karimi", "G. Barthe", "B. Schölkopf", "I. Valera"],
                "venue": "ACM Computing Surveys",
                "volume": "55",
                "issue": "5",
                "pages": "1–29",
                "doi": "10.1145/3527848",
            },
        ),
        (
            14,
            {
                "publisher": "ACM",
                "address": "Bergen Norway",
                "month": "October",
                "pages": "227–232",
                "doi": "10.1145/3715070.3749230",
            },
        ),
        (
            9,
            {
                "authors": ["D. C. Howe", "H. Nissenbaum"],
                "venue": "3rd international workshop on privacy engineering (IWPE 2017)",
                "series": "CEUR workshop proceedings",
                "pages": "57–64",
            },
        ),
        (
            25,
            {
                "kind": "legal",
                "authors": ["United States Department of Justice, Civil Rights Division"],
                "year": 2023,
                "title": "Louis et al. V. SafeRent et al. (D. Mass.)",
                "url": "https://www.justice.gov/crt/case/louis-et-al-v-saferent-et-al-d-mass",
                "doi": "",
            },
        ),
        (
            24,
            {
                "authors": [
                    "Florian Tramèr",
                    "Fan Zhang",
                    "Ari Juels",
                    "Michael K Reiter",
                    "Thomas Ristenpart",
                ],
                "venue": "25th USENIX security symposium (USENIX security 16)",
                "pages": "601–618",
            },
        ),
    ],
)
def test_bundled_reference_matches_the_seed(bundled, number, expected):
    reference = Reference.objects.get(taxonomy__slug=SLUG, number=number)

    assert {name: getattr(reference, name) for name in expected} == expected


def test_bundled_references_are_numbered_1_to_29_and_all_cited(bundled):
    numbers = list(Reference.objects.order_by("number").values_list("number", flat=True))
    cited = set(
        Strategy.references.through.objects.values_list("reference__number", flat=True)
    ) | set(Case.references.through.objects.values_list("reference__number", flat=True))

    assert numbers == list(range(1, 30))
    assert cited == set(range(1, 30))


def test_bundled_references_keep_bare_dois():
    references = yaml.safe_load(BUNDLED_TEXT)["references"]

    assert all(not r.get("doi", "10.").startswith("http") for r in references)
    # The seed gives 15 DOIs and 5 "Retrieved from" URLs.
    assert sum("doi" in r for r in references) == 15
    assert sum("url" in r for r in references) == 5


def test_first_load_reports_everything_created(bundled):
    assert counts(bundled) == {
        "taxonomy": (1, 0, 0, 0),
        "categories": (4, 0, 0, 0),
        "strategies": (21, 0, 0, 0),
        "cases": (12, 0, 0, 0),
        "references": (29, 0, 0, 0),
    }


def test_loading_twice_changes_nothing(bundled):
    before = database_snapshot()

    summary = load_taxonomy(BUNDLED_TAXONOMY_FILE)

    assert database_snapshot() == before
    assert not summary.changed
    assert counts(summary) == {
        "taxonomy": (0, 0, 0, 1),
        "categories": (0, 0, 0, 4),
        "strategies": (0, 0, 0, 21),
        "cases": (0, 0, 0, 12),
        "references": (0, 0, 0, 29),
    }


def test_changed_file_updates_rows_in_place_and_removes_dropped_ones(bundled, tmp_path):
    strategy_pk = Strategy.objects.get(slug="data-refusal").pk
    reference_pk = Reference.objects.get(number=16).pk
    text = replace_once(
        BUNDLED_TEXT,
        "Declining to take part in data collection, as a political statement",
        "Saying no to data collection, as a political statement",
    )
    text = replace_once(text, "year: 2026", "year: 2025")
    # Drop the AdNauseam case and the related link between obfuscation and data poisoning.
    text = re.sub(r"  - slug: adnauseam\n(    .*\n|\n)*?(?=  - slug:)", "", text)
    text = replace_once(text, "related: [style-and-identity-cloaking, obfuscation]", "")
    text = replace_once(text, "related: [data-poisoning]", "")

    summary = load_taxonomy(write(tmp_path, text))

    strategy = Strategy.objects.get(slug="data-refusal")
    assert strategy.pk == strategy_pk
    assert strategy.summary.startswith("Saying no to data collection")
    assert Reference.objects.get(number=16).pk == reference_pk
    assert Reference.objects.get(number=16).year == 2025
    assert not Case.objects.filter(slug="adnauseam").exists()
    assert not Strategy.objects.get(slug="obfuscation").related.exists()
    assert counts(summary) == {
        "taxonomy": (0, 0, 0, 1),
        "categories": (0, 0, 0, 4),
        "strategies": (0, 3, 0, 18),  # data-refusal, data-poisoning, obfuscation
        "cases": (0, 0, 1, 11),
        "references": (0, 1, 0, 28),
    }


def test_citation_key_can_move_to_another_number(bundled, tmp_path):
    text = replace_once(BUNDLED_TEXT, "key: agnew2024", "key: swap-placeholder")
    text = replace_once(text, "key: aivodji2020", "key: agnew2024")
    text = replace_once(text, "key: swap-placeholder", "key: aivodji2020")

    summary = load_taxonomy(write(tmp_path, text))

    assert Reference.objects.get(number=1).key == "aivodji2020"
    assert Reference.objects.get(number=2).key == "agnew2024"
    assert counts(summary)["references"] == (0, 2, 0, 27)


def test_default_taxonomy_replaces_the_previous_default():
    other = TaxonomyFactory(slug="older-workshop", is_default=True)

    summary = load_taxonomy(BUNDLED_TAXONOMY_FILE)

    other.refresh_from_db()
    assert not other.is_default
    assert Taxonomy.objects.get(is_default=True).slug == SLUG
    assert counts(summary)["taxonomy"] == (1, 1, 0, 0)


def test_another_taxonomy_is_left_alone(bundled, tmp_path):
    text = replace_once(BUNDLED_TEXT, f"slug: {SLUG}", "slug: a-copy")
    text = replace_once(text, "default: true", "default: false")

    load_taxonomy(write(tmp_path, text))

    assert Strategy.objects.filter(taxonomy__slug=SLUG).count() == 21
    assert Strategy.objects.filter(taxonomy__slug="a-copy").count() == 21
    assert Taxonomy.objects.get(is_default=True).slug == SLUG


def bad_syntax(text):
    text = replace_once(text, 'title: "Data defenses', "title: Data: defenses")
    line = line_of(text, "title: Data: defenses")
    return text, line, "invalid YAML: mapping values are not allowed here"


def unknown_approach(text):
    text = replace_once(text, "approach: platform", "approach: platfrom")
    return (
        text,
        line_of(text, "approach: platfrom"),
        "strategies[0].approach: 'platfrom' is not one of platform, model, legal_organising",
    )


def missing_title(text):
    text = replace_once(text, '    title: "Less Discriminatory Algorithms"\n', "")
    # A missing key is reported on the first line of its mapping.
    return text, line_of(text, "- number: 3"), "references[2].title: is required"


def dangling_reference(text):
    text = replace_once(text, "references: [29]", "references: [99]")
    return (
        text,
        line_of(text, "references: [99]"),
        "strategies[9].references[0]: 99 is not a reference number in this file",
    )


def duplicate_slug(text):
    text = replace_once(text, "- slug: decline-now", "- slug: adnauseam")
    # Reported on the second of the two.
    line = line_of(text, "- slug: adnauseam\n    name: AdNauseam")
    return text, line, "cases[7].slug: duplicate case slug 'adnauseam'"


def unknown_case_strategy(text):
    text = replace_once(text, "strategies: [algorithmic-collective-action]", "strategies: [x]")
    return (
        text,
        line_of(text, "strategies: [x]"),
        "cases[6].strategies[0]: 'x' is not a strategy slug in this file",
    )


def unknown_parent(text):
    text = replace_once(text, "parent: data-leverage", "parent: data-levrage")
    return (
        text,
        line_of(text, "parent: data-levrage"),
        "strategies[6].parent: 'data-levrage' is not a strategy slug in this file",
    )


def unknown_key(text):
    goal = "    goal: Making harms visible\n"
    text = replace_once(text, goal, goal + "    colour: red\n")
    return text, line_of(text, "colour: red"), "categories[0].colour: unknown key (allowed: slug,"


def wrong_type(text):
    text = replace_once(text, "year: 2020\n    community", 'year: "2020"\n    community')
    return (
        text,
        line_of(text, 'year: "2020"'),
        "cases[2].year: expected an integer, got a string ('2020')",
    )


def duplicate_key(text):
    goal = "    goal: Making harms visible\n"
    text = replace_once(text, goal, goal + "    goal: Again\n")
    return text, line_of(text, "goal: Again"), "invalid YAML: duplicate key 'goal'"


def doi_with_prefix(text):
    text = replace_once(text, "doi: 10.1145/3555105", "doi: https://doi.org/10.1145/3555105")
    return (
        text,
        line_of(text, "doi: https://doi.org"),
        "references[5].doi: 'https://doi.org/10.1145/3555105' is not a bare DOI",
    )


@pytest.mark.parametrize(
    "break_file",
    [
        bad_syntax,
        unknown_approach,
        missing_title,
        dangling_reference,
        duplicate_slug,
        unknown_case_strategy,
        unknown_parent,
        unknown_key,
        wrong_type,
        duplicate_key,
        doi_with_prefix,
    ],
)
def test_malformed_file_is_refused_with_line_and_field_and_nothing_changes(
    bundled, tmp_path, break_file
):
    # A valid change rides along, so a partial write would show in the snapshot.
    changed = replace_once(BUNDLED_TEXT, "Folk theorisation\n", "Folk theories\n")
    text, line, message = break_file(changed)
    before = database_snapshot()

    with pytest.raises(TaxonomyFileError) as refused:
        load_taxonomy(write(tmp_path, text))

    assert [
        problem.startswith(f"ours.yaml line {line}: {message}")
        for problem in refused.value.problems
    ] == [True]
    assert database_snapshot() == before


def test_malformed_file_reports_every_problem_at_once(tmp_path):
    text, *_ = unknown_approach(BUNDLED_TEXT)
    text, *_ = dangling_reference(text)
    text, *_ = missing_title(text)

    with pytest.raises(TaxonomyFileError) as refused:
        load_taxonomy(write(tmp_path, text))

    assert len(refused.value.problems) == 3
    assert not Taxonomy.objects.exists()


def test_blank_required_value_is_refused(tmp_path):
    text = replace_once(BUNDLED_TEXT, "    goal: Making harms visible\n", '    goal: "  "\n')

    with pytest.raises(TaxonomyFileError) as refused:
        load_taxonomy(write(tmp_path, text))

    line = line_of(text, 'goal: "  "')
    assert refused.value.problems == [f"ours.yaml line {line}: categories[0].goal: is required"]


def test_parent_loop_is_refused(tmp_path):
    text = replace_once(
        BUNDLED_TEXT,
        "  - slug: data-leverage\n    name: Data leverage\n    category: algorithmic-opt-out\n",
        "  - slug: data-leverage\n    name: Data leverage\n    category: algorithmic-opt-out\n"
        "    parent: data-strikes\n",
    )

    with pytest.raises(TaxonomyFileError) as refused:
        load_taxonomy(write(tmp_path, text))

    assert (
        f"ours.yaml line {line_of(text, 'parent: data-strikes')}: strategies[5].parent: "
        "parents form a loop: data-leverage → data-strikes → data-leverage"
    ) in refused.value.problems


def test_mapping_input_is_validated_without_line_numbers():
    data = yaml.safe_load(BUNDLED_TEXT)
    data["strategies"][0]["approach"] = "platfrom"

    with pytest.raises(TaxonomyFileError) as refused:
        load_taxonomy(data)

    assert refused.value.problems == [
        "taxonomy data: strategies[0].approach: 'platfrom' is not one of platform, model, "
        "legal_organising"
    ]


def test_empty_file_is_refused(tmp_path):
    with pytest.raises(TaxonomyFileError) as refused:
        load_taxonomy(write(tmp_path, ""))

    assert str(refused.value).startswith("ours.yaml: expected a mapping with the keys schema")


def test_export_then_load_changes_nothing(bundled, tmp_path):
    taxonomy = Taxonomy.objects.get(slug=SLUG)
    exported = taxonomy_to_yaml(export_taxonomy(taxonomy))
    before = database_snapshot()

    summary = load_taxonomy(write(tmp_path, exported, "export.yaml"))

    assert not summary.changed
    assert database_snapshot() == before
    assert taxonomy_to_yaml(export_taxonomy(taxonomy)) == exported


def test_export_yaml_reads_back_as_the_exported_data(bundled):
    data = export_taxonomy(Taxonomy.objects.get(slug=SLUG))

    assert parse_taxonomy_yaml(taxonomy_to_yaml(data)) == data


def test_export_has_the_files_structure_and_content(bundled):
    data = export_taxonomy(Taxonomy.objects.get(slug=SLUG))
    bundled_data = yaml.safe_load(BUNDLED_TEXT)

    assert list(data) == ["schema", "taxonomy", "categories", "strategies", "cases", "references"]
    assert data["references"] == bundled_data["references"]
    assert data["categories"] == bundled_data["categories"]
    assert [c["slug"] for c in data["cases"]] == EXPECTED_CASES
    assert data["strategies"][6] == {
        "slug": "data-strikes",
        "name": "Data strikes",
        "category": "algorithmic-opt-out",
        "parent": "data-leverage",
        "approach": "platform",
        "position": 2,
        "summary": "Withholding data from a system, together, to reduce its value.",
        "description": bundled_data["strategies"][6]["description"],
        "references": [27],
        "related": ["data-refusal"],
        "synonyms": bundled_data["strategies"][6]["synonyms"],
        "fr": {
            "name": "Grèves de données",
            "summary": "Priver ensemble un système de données pour en réduire la valeur.",
            "description": bundled_data["strategies"][6]["fr"]["description"],
        },
    }


def test_export_yaml_is_readable(bundled):
    text = taxonomy_to_yaml(export_taxonomy(Taxonomy.objects.get(slug=SLUG)))

    assert "Celestine Mendler-Dünner" in text and "\\u" not in text
    assert "pages: 12570–12586" in text
    assert "\n  - slug: folk-theorisation\n    name: Folk theorisation\n" in text
    assert "    references: [7, 25, 26]\n" in text
    assert "{" not in text


def test_load_taxonomy_command_loads_the_bundled_file_and_prints_the_summary():
    out = StringIO()

    call_command("load_taxonomy", stdout=out)

    assert out.getvalue().splitlines() == [
        f"Taxonomy '{SLUG}': changed",
        "  taxonomy: 1 created, 0 updated, 0 deleted, 0 unchanged",
        "  categories: 4 created, 0 updated, 0 deleted, 0 unchanged",
        "  strategies: 21 created, 0 updated, 0 deleted, 0 unchanged",
        "  cases: 12 created, 0 updated, 0 deleted, 0 unchanged",
        "  references: 29 created, 0 updated, 0 deleted, 0 unchanged",
    ]


def test_load_taxonomy_command_refuses_a_bad_file(tmp_path):
    text, *_ = unknown_approach(BUNDLED_TEXT)
    path = write(tmp_path, text)

    with pytest.raises(CommandError) as refused:
        call_command("load_taxonomy", str(path), stdout=StringIO())

    line = line_of(text, "approach: platfrom")
    assert f"ours.yaml line {line}: strategies[0].approach: 'platfrom'" in str(refused.value)
    assert not Taxonomy.objects.exists()


def test_load_taxonomy_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        call_command("load_taxonomy", str(tmp_path / "nope.yaml"))


def test_export_taxonomy_command_writes_the_default_taxonomy_to_stdout(bundled):
    out = StringIO()

    call_command("export_taxonomy", stdout=out)

    assert out.getvalue() == taxonomy_to_yaml(export_taxonomy(Taxonomy.objects.get(slug=SLUG)))


def test_export_taxonomy_command_writes_a_file_that_loads_unchanged(bundled, tmp_path):
    path = tmp_path / "out.yaml"

    call_command("export_taxonomy", "--taxonomy", SLUG, "--output", str(path), stderr=StringIO())
    out = StringIO()
    call_command("load_taxonomy", str(path), stdout=out)

    assert out.getvalue().startswith(f"Taxonomy '{SLUG}': no change")


def test_export_taxonomy_command_refuses_an_unknown_slug(bundled):
    with pytest.raises(CommandError, match=f"No taxonomy with slug 'nope' \\(known: {SLUG}\\)"):
        call_command("export_taxonomy", "--taxonomy", "nope")


def test_minimal_example_in_the_format_docs_loads(tmp_path):
    docs = (ROOT / "docs" / "taxonomy-format.md").read_text(encoding="utf-8")
    example = docs.split("## A minimal file")[1].split("```yaml\n")[1].split("```")[0]

    summary = load_taxonomy(write(tmp_path, example))

    assert counts(summary)["strategies"] == (1, 0, 0, 0)
    assert Case.objects.get(slug="cropping-2020").strategies.get().slug == "everyday-auditing"


def test_reloading_without_a_strategy_that_sessions_use_is_refused_and_keeps_their_work():
    from tests.factories import LiveSessionFactory, MappingFactory, NeedFactory, ParticipantFactory

    load_taxonomy(BUNDLED_TAXONOMY_FILE)
    used = Strategy.objects.get(slug="data-strikes")
    live_session = LiveSessionFactory(taxonomy=used.taxonomy)
    need = NeedFactory(author=ParticipantFactory(live_session=live_session))
    mapping = MappingFactory(need=need, strategy=used)
    data = parse_taxonomy_yaml(BUNDLED_TEXT, "bundled.yaml")
    data["strategies"] = [
        {**s, "related": [r for r in s.get("related", []) if r != "data-strikes"]}
        for s in data["strategies"]
        if s["slug"] != "data-strikes"
    ]
    data["cases"] = [
        {**case, "strategies": [s for s in case["strategies"] if s != "data-strikes"]}
        for case in data["cases"]
    ]

    with pytest.raises(TaxonomyFileError, match=r"still used in live sessions.*data-strikes"):
        load_taxonomy(data)

    assert Strategy.objects.filter(slug="data-strikes").exists()
    assert Mapping.objects.filter(pk=mapping.pk).exists()
