"""Exporting a taxonomy as a data file (docs/taxonomy-format.md) that load_taxonomy reads back
unchanged: export_taxonomy gives the data, taxonomy_to_yaml the readable text."""

from typing import Any

import yaml

from taxonomy.datafile.schema import (
    CASE_FIELDS,
    SCHEMA_VERSION,
    TRANSLATION_LANGUAGE,
    item_keys,
    term_entries,
)
from taxonomy.models import Case, Category, Reference, Strategy, Taxonomy


def export_taxonomy(taxonomy: Taxonomy) -> dict:
    """The taxonomy as file data (the structure load_taxonomy reads), keys in schema order and
    empty optional values left out; loading the result changes nothing."""
    categories = list(Category.objects.filter(taxonomy=taxonomy).order_by("position", "slug"))
    strategies = list(
        Strategy.objects.filter(taxonomy=taxonomy)
        .select_related("category", "parent")
        .prefetch_related("references", "related")
        .order_by("category__position", "category__slug", "position", "slug")
    )
    order = {strategy.pk: index for index, strategy in enumerate(strategies)}
    cases = list(
        Case.objects.filter(taxonomy=taxonomy)
        .prefetch_related("strategies", "references")
        .order_by("position", "slug")
    )
    references = Reference.objects.filter(taxonomy=taxonomy).order_by("number")

    def numbers(related_references) -> list[int]:
        return sorted(reference.number for reference in related_references.all())

    def slugs(related_strategies) -> list[str]:
        return [s.slug for s in sorted(related_strategies.all(), key=lambda s: order[s.pk])]

    data = {
        "schema": SCHEMA_VERSION,
        "taxonomy": {
            name: value
            for name, value in {
                "slug": taxonomy.slug,
                "title": taxonomy.title,
                "version": taxonomy.version,
                "description": taxonomy.description,
                "default": taxonomy.is_default,
                "community": taxonomy.community,
                "community_name": taxonomy.community_name,
                "glossary": _exported_terms(taxonomy.glossary),
                TRANSLATION_LANGUAGE: _exported_translations(taxonomy),
            }.items()
            if name == "default" or value not in (None, "", [], {})
        },
        "categories": [
            _without_empty(
                {
                    **{
                        name: getattr(category, name)
                        for name in item_keys("categories")
                        if name != TRANSLATION_LANGUAGE
                    },
                    TRANSLATION_LANGUAGE: _exported_translations(category),
                }
            )
            for category in categories
        ],
        "strategies": [
            _without_empty(
                {
                    "slug": strategy.slug,
                    "name": strategy.name,
                    "category": strategy.category.slug,
                    "parent": strategy.parent.slug if strategy.parent else "",
                    "approach": strategy.approach,
                    "position": strategy.position,
                    "summary": strategy.summary,
                    "description": strategy.description,
                    "references": numbers(strategy.references),
                    "related": slugs(strategy.related),
                    "synonyms": _exported_terms(strategy.synonyms),
                    TRANSLATION_LANGUAGE: _exported_translations(strategy),
                }
            )
            for strategy in strategies
        ],
        "cases": [
            _without_empty(
                {
                    **{name: getattr(case, name) for name in CASE_FIELDS},
                    "strategies": slugs(case.strategies),
                    "references": numbers(case.references),
                    "synonyms": _exported_terms(case.synonyms),
                    TRANSLATION_LANGUAGE: _exported_translations(case),
                }
            )
            for case in cases
        ],
        "references": [
            _without_empty({name: getattr(reference, name) for name in item_keys("references")})
            for reference in references
        ],
    }
    return data


def _exported_translations(obj) -> dict:
    return _without_empty(
        {name: getattr(obj, f"{name}_{TRANSLATION_LANGUAGE}") for name in obj.translated_fields}
    )


def _exported_terms(entries: list[dict]) -> list[dict]:
    return [_without_empty(entry) for entry in term_entries(entries)]


def _without_empty(item: dict) -> dict:
    return {name: value for name, value in item.items() if value not in (None, "", [], {})}


class _ReadableDumper(yaml.SafeDumper):
    """Block style for mappings, flow style for short lists of scalars, literal blocks for
    text with line breaks, and list items indented under their key as people write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        # Anchors and aliases (&id001) would make a hand-edited export confusing.
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list):
    scalars_only = all(not isinstance(item, dict | list) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=scalars_only)


_ReadableDumper.add_representer(str, _represent_str)
_ReadableDumper.add_representer(list, _represent_list)

EXPORT_HEADER = (
    "# A Common Ground taxonomy file, exported from the database.\n"
    "# Format: docs/taxonomy-format.md. Load with `python manage.py load_taxonomy FILE`.\n"
)


def taxonomy_to_yaml(data: dict) -> str:
    """Render export_taxonomy() data as readable YAML (unicode kept, keys in schema order)."""
    body = yaml.dump(
        data,
        Dumper=_ReadableDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        # PyYAML breaks lines after passing the width, so aim below 100 columns.
        width=90,
    )
    return EXPORT_HEADER + body
