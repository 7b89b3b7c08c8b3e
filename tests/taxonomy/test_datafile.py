"""The data file's rules as users meet them: each problem is reported once, with its file, line
and field, in the words the format documentation uses."""

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from taxonomy.datafile import TaxonomyFileError, parse_taxonomy_yaml, validate_taxonomy
from taxonomy.datafile.schema import FILE_SCHEMA

DOCS = Path(__file__).resolve().parents[2] / "docs" / "taxonomy-format.md"
MINIMAL = DOCS.read_text(encoding="utf-8").split("## A minimal file")[1].split("```yaml\n")[1]
MINIMAL = MINIMAL.split("```")[0]


def problems(text: str) -> list[str]:
    with pytest.raises(TaxonomyFileError) as refused:
        validate_taxonomy(parse_taxonomy_yaml(text, "ours.yaml"), source="ours.yaml")
    return refused.value.problems


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_file_schema_is_a_valid_json_schema():
    Draft202012Validator.check_schema(FILE_SCHEMA)


def test_minimal_example_is_valid():
    plan = validate_taxonomy(parse_taxonomy_yaml(MINIMAL), source="minimal.yaml")

    assert plan.taxonomy["slug"] == "our-workshop-2027"
    assert plan.strategies[0]["position"] == 1
    assert plan.cases[0]["references"] == [1]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("schema: 1", "schema: 2", "schema: this loader reads schema 1, not 2"),
        (
            'version: "0.1"',
            "version: 0.1",
            "taxonomy.version: expected a string, got a number (0.1) (put it in quotes)",
        ),
        (
            "default: false",
            'default: "no"',
            "taxonomy.default: expected true or false, got a string ('no')",
        ),
        # A whole number written with a decimal point is not an integer here.
        ("year: 2020", "year: 2020.0", "cases[0].year: expected an integer, got a number (2020.0)"),
        ("year: 2020", "year: 0", "cases[0].year: 0 is outside 1..9999"),
        (
            "    doi: 10.1145/3479577",
            "    url: ftp://example.org/paper",
            "references[0].url: 'ftp://example.org/paper' is not an http(s) URL",
        ),
        # Too long and not a slug: only the first fault is reported.
        (
            "- slug: cropping-2020",
            "- slug: " + "cropping 2020 " * 7,
            "cases[0].slug: is 97 characters long; the limit is 80",
        ),
        (
            "goal: Making harms visible",
            "goal: Making harms visible\n    colour:",
            "categories[0].colour: unknown key (allowed: slug, name, goal, position, summary, "
            "description, fr)",
        ),
        (
            "strategies: [everyday-auditing]",
            "strategies: [everyday-auditing, everyday-auditing]",
            "cases[0].strategies[1]: 'everyday-auditing' is listed twice",
        ),
    ],
)
def test_value_breaking_a_rule_is_reported_once_with_its_line(old, new, message):
    text = MINIMAL.replace(old, new, 1)

    line = line_of(text, new.splitlines()[-1].strip())
    assert problems(text) == [f"ours.yaml line {line}: {message}"]


def test_list_with_no_valid_entry_is_reported_after_its_items():
    text = MINIMAL.replace(
        'authors: ["H. Shen", "A. DeVos", "M. Eslami", "K. Holstein"]', 'authors: [" "]'
    )
    line = line_of(text, "authors:")

    assert problems(text) == [
        f"ours.yaml line {line}: references[0].authors[0]: is empty",
        f"ours.yaml line {line}: references[0].authors: needs at least one entry",
    ]


def test_unknown_reference_is_named_by_its_place_in_the_file():
    text = MINIMAL.replace("    references: [1]\ncases:", "    references: [x, 99]\ncases:")
    line = line_of(text, "references: [x, 99]")

    assert problems(text) == [
        f"ours.yaml line {line}: strategies[0].references[0]: expected an integer, got a string "
        "('x')",
        f"ours.yaml line {line}: strategies[0].references[1]: 99 is not a reference number in "
        "this file",
    ]
