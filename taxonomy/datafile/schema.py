"""The taxonomy data file's format as a JSON Schema (docs/taxonomy-format.md is the same format
in prose). Limits come from the models, so the file never holds more than the database can.

Two readings apply before the schema does (datafile.validation): text is stripped of surrounding
spaces, and a key given no value or a blank one counts as absent, taking the ``default`` below.
"""

from typing import Any

from django.db import models

from taxonomy.enums import Approach, ReferenceKind
from taxonomy.models import Case, Category, Reference, Strategy, Taxonomy

SCHEMA_VERSION = 1
# The language of the translated text fields (``fr:`` in the file, ``<field>_fr`` in the models).
TRANSLATION_LANGUAGE = "fr"
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
DOI_PATTERN = r"^10\.\S+/\S+$"
# A format of our own: an http(s) URL as Django's URLValidator accepts it.
HTTP_URL = "http-url"
# PositiveSmallIntegerField holds up to 32767 on every database Django supports.
SMALL_INTEGER_MAX = 32767


def _string(model: type[models.Model] | None = None, name: str = "", **rules) -> dict:
    """Text, limited to what the model's field holds (text fields are unlimited)."""
    max_length = model._meta.get_field(name).max_length if model else None
    limit = {"maxLength": max_length} if max_length else {}
    return {"type": "string", **limit, **rules, "default": ""}


def _slug(model: type[models.Model] | None = None, name: str = "slug") -> dict:
    return _string(model, name, pattern=SLUG_PATTERN)


def _choice(choices: type[models.TextChoices]) -> dict:
    return {"type": "string", "enum": list(choices.values), "default": ""}


def _integer(minimum: int = 0, maximum: int = SMALL_INTEGER_MAX) -> dict:
    return {"type": "integer", "minimum": minimum, "maximum": maximum, "default": None}


def _list(items: dict, *, required: bool = False) -> dict:
    """A list whose items each appear once; a required one needs at least one entry."""
    at_least_one = {"minItems": 1} if required else {}
    return {"type": "array", "items": items, "uniqueItems": True, **at_least_one, "default": []}


def _mapping(properties: dict, *, required: tuple[str, ...] = ()) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _translations(model: type[models.Model]) -> dict:
    """The optional ``fr:`` mapping of an item: a French version of each translated field."""
    return _mapping({name: _string(model, name) for name in model.translated_fields})


def _section(item: dict) -> dict:
    # A top-level list left empty (``strategies:``) is read as no items.
    return {"type": ["array", "null"], "items": item, "default": []}


# A word or phrase a person would type: one line, at most TERM_LENGTH characters.
TERM_LENGTH = 100
_TERMS = {"type": "string", "minLength": 1, "maxLength": TERM_LENGTH}
# One concept in both languages: its English words (the first is its headword) and French ones.
TERM_ENTRY = _mapping({"en": _list(_TERMS, required=True), "fr": _list(_TERMS)}, required=("en",))
# ``synonyms`` of a strategy or case, ``glossary`` of the taxonomy: lists of such entries.
TERM_ENTRIES = _list(TERM_ENTRY)

REFERENCE_NUMBERS = _list(_integer(minimum=1))
STRATEGY_SLUGS = _list(_slug())

TAXONOMY = _mapping(
    {
        "slug": _slug(Taxonomy),
        "title": _string(Taxonomy, "title"),
        "version": _string(Taxonomy, "version"),
        "description": _string(),
        "default": {"type": "boolean", "default": False},
        "community": _slug(Taxonomy, "community"),
        "community_name": _string(Taxonomy, "community_name"),
        "glossary": TERM_ENTRIES,
        TRANSLATION_LANGUAGE: _translations(Taxonomy),
    },
    required=("slug", "title"),
)
CATEGORY = _mapping(
    {
        "slug": _slug(Category),
        "name": _string(Category, "name"),
        "goal": _string(Category, "goal"),
        "position": _integer(),
        "summary": _string(Category, "summary"),
        "description": _string(),
        TRANSLATION_LANGUAGE: _translations(Category),
    },
    required=("slug", "name", "goal"),
)
STRATEGY = _mapping(
    {
        "slug": _slug(Strategy),
        "name": _string(Strategy, "name"),
        "category": _slug(),
        "parent": _slug(),
        "approach": _choice(Approach),
        "position": _integer(),
        "summary": _string(Strategy, "summary"),
        "description": _string(),
        "references": REFERENCE_NUMBERS,
        "related": STRATEGY_SLUGS,
        "synonyms": TERM_ENTRIES,
        TRANSLATION_LANGUAGE: _translations(Strategy),
    },
    required=("slug", "name", "category", "approach", "summary"),
)
CASE = _mapping(
    {
        "slug": _slug(Case),
        "name": _string(Case, "name"),
        "year": _integer(minimum=1, maximum=9999),
        "community": _string(Case, "community"),
        "platform": _string(Case, "platform"),
        "position": _integer(),
        "summary": _string(Case, "summary"),
        "description": _string(),
        "strategies": _list(_slug(), required=True),
        "references": REFERENCE_NUMBERS,
        "synonyms": TERM_ENTRIES,
        TRANSLATION_LANGUAGE: _translations(Case),
    },
    required=("slug", "name", "summary", "strategies"),
)
REFERENCE = _mapping(
    {
        "number": _integer(minimum=1),
        "key": _slug(Reference, "key"),
        "kind": _choice(ReferenceKind),
        "authors": _list({"type": "string", "minLength": 1}, required=True),
        "year": _integer(minimum=1, maximum=9999),
        "title": _string(Reference, "title"),
        "venue": _string(Reference, "venue"),
        "volume": _string(Reference, "volume"),
        "issue": _string(Reference, "issue"),
        "pages": _string(Reference, "pages"),
        "publisher": _string(Reference, "publisher"),
        "address": _string(Reference, "address"),
        "series": _string(Reference, "series"),
        "month": _string(Reference, "month"),
        "doi": _string(Reference, "doi", pattern=DOI_PATTERN),
        "url": _string(Reference, "url", format=HTTP_URL),
        "note": _string(Reference, "note"),
        "communities": _list(_slug()),
    },
    required=("number", "key", "kind", "authors", "year", "title"),
)
FILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Common Ground taxonomy data file",
    **_mapping(
        {
            "schema": {"const": SCHEMA_VERSION},
            "taxonomy": TAXONOMY,
            "categories": _section(CATEGORY),
            "strategies": _section(STRATEGY),
            "cases": _section(CASE),
            "references": _section(REFERENCE),
        },
        required=("schema", "taxonomy", "categories"),
    ),
}


def item_keys(section: str) -> list[str]:
    """The keys of one section's items, in the order the format lists (and export writes)."""
    return list(FILE_SCHEMA["properties"][section]["items"]["properties"])


# The keys of a case that are plain model fields (the rest are many-to-many links and the
# translations).
CASE_FIELDS = tuple(
    name
    for name in item_keys("cases")
    if name not in ("strategies", "references", "synonyms", TRANSLATION_LANGUAGE)
)


def term_entries(entries: list[dict]) -> list[dict]:
    """Synonyms or a glossary as stored and exported: each entry with both keys, in order."""
    return [{"en": list(entry["en"]), "fr": list(entry.get("fr") or [])} for entry in entries]
