"""Write side of the taxonomy: load a taxonomy data file into the database, export it back.

The file format is documented in docs/taxonomy-format.md; FILE_FORMAT below is the same schema
as code. Loading validates the whole file before it writes anything, then writes in one
transaction, so a bad file leaves the database exactly as it was.
"""

import os
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction

from taxonomy.enums import Approach, ReferenceKind
from taxonomy.models import Case, Category, Reference, Strategy, Taxonomy

BUNDLED_TAXONOMY_FILE = Path(__file__).resolve().parent / "data" / "commonground-taxonomy.yaml"
SCHEMA_VERSION = 1


class TaxonomyFileError(ValueError):
    """A taxonomy file that cannot be loaded; ``problems`` holds one message per fault, each
    naming the file, the line and the field at fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --- The file format --------------------------------------------------------------------------

STRING, TEXT, SLUG, INTEGER, BOOLEAN, CHOICE, URL, DOI = (
    "string",
    "text",
    "slug",
    "integer",
    "boolean",
    "choice",
    "URL",
    "DOI",
)
STRINGS, INTEGERS, SLUGS = "list of strings", "list of integers", "list of slugs"
MAPPING = "mapping"
# The language of the translated text fields (``fr:`` in the file, ``<field>_fr`` in the models).
TRANSLATION_LANGUAGE = "fr"

SLUG_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
DOI_PATTERN = re.compile(r"^10\.\S+/\S+$")
# PositiveSmallIntegerField holds up to 32767 on every database Django supports.
SMALL_INTEGER_MAX = 32767


@dataclass(frozen=True)
class Key:
    """One key of a mapping in the file: its type, whether it is required, and its limits."""

    kind: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    minimum: int = 0
    maximum: int = SMALL_INTEGER_MAX
    keys: Mapping | None = None  # a mapping's own keys


def _length(model: type[models.Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


def _translations(model: type[models.Model]) -> Key:
    """The optional ``fr:`` mapping of an item: a French version of each translated field."""
    return Key(
        MAPPING,
        keys={
            name: Key(STRING if _length(model, name) else TEXT, max_length=_length(model, name))
            for name in model.translated_fields
        },
    )


TAXONOMY_KEYS = {
    "slug": Key(SLUG, required=True, max_length=_length(Taxonomy, "slug")),
    "title": Key(STRING, required=True, max_length=_length(Taxonomy, "title")),
    "version": Key(STRING, max_length=_length(Taxonomy, "version")),
    "description": Key(TEXT),
    "default": Key(BOOLEAN),
}
CATEGORY_KEYS = {
    "slug": Key(SLUG, required=True, max_length=_length(Category, "slug")),
    "name": Key(STRING, required=True, max_length=_length(Category, "name")),
    "goal": Key(STRING, required=True, max_length=_length(Category, "goal")),
    "position": Key(INTEGER),
    "summary": Key(STRING, max_length=_length(Category, "summary")),
    "description": Key(TEXT),
    TRANSLATION_LANGUAGE: _translations(Category),
}
STRATEGY_KEYS = {
    "slug": Key(SLUG, required=True, max_length=_length(Strategy, "slug")),
    "name": Key(STRING, required=True, max_length=_length(Strategy, "name")),
    "category": Key(SLUG, required=True),
    "parent": Key(SLUG),
    "approach": Key(CHOICE, required=True, choices=tuple(Approach.values)),
    "position": Key(INTEGER),
    "summary": Key(STRING, required=True, max_length=_length(Strategy, "summary")),
    "description": Key(TEXT),
    "references": Key(INTEGERS),
    "related": Key(SLUGS),
    TRANSLATION_LANGUAGE: _translations(Strategy),
}
CASE_KEYS = {
    "slug": Key(SLUG, required=True, max_length=_length(Case, "slug")),
    "name": Key(STRING, required=True, max_length=_length(Case, "name")),
    "year": Key(INTEGER, minimum=1, maximum=9999),
    "community": Key(STRING, max_length=_length(Case, "community")),
    "platform": Key(STRING, max_length=_length(Case, "platform")),
    "position": Key(INTEGER),
    "summary": Key(STRING, required=True, max_length=_length(Case, "summary")),
    "description": Key(TEXT),
    "strategies": Key(SLUGS, required=True),
    "references": Key(INTEGERS),
    TRANSLATION_LANGUAGE: _translations(Case),
}
# The keys of a case that are plain model fields (the rest are many-to-many links and the
# translations).
CASE_FIELDS = tuple(
    name for name in CASE_KEYS if name not in ("strategies", "references", TRANSLATION_LANGUAGE)
)
REFERENCE_KEYS = {
    "number": Key(INTEGER, required=True, minimum=1),
    "key": Key(SLUG, required=True, max_length=_length(Reference, "key")),
    "kind": Key(CHOICE, required=True, choices=tuple(ReferenceKind.values)),
    "authors": Key(STRINGS, required=True),
    "year": Key(INTEGER, required=True, minimum=1, maximum=9999),
    "title": Key(STRING, required=True, max_length=_length(Reference, "title")),
    **{
        name: Key(STRING, max_length=_length(Reference, name))
        for name in (
            "venue",
            "volume",
            "issue",
            "pages",
            "publisher",
            "address",
            "series",
            "month",
        )
    },
    "doi": Key(DOI, max_length=_length(Reference, "doi")),
    "url": Key(URL, max_length=_length(Reference, "url")),
    "note": Key(STRING, max_length=_length(Reference, "note")),
}
# Top level: the schema number, the taxonomy mapping, and the keys of each list's items.
FILE_FORMAT = {
    "schema": Key(INTEGER, required=True),
    "taxonomy": TAXONOMY_KEYS,
    "categories": CATEGORY_KEYS,
    "strategies": STRATEGY_KEYS,
    "cases": CASE_KEYS,
    "references": REFERENCE_KEYS,
}
REQUIRED_SECTIONS = ("schema", "taxonomy", "categories")


# --- Reading YAML with line numbers -----------------------------------------------------------


class _MarkedDict(dict):
    """A mapping that remembers the line it starts on and the line of each key (1-based)."""

    line: int | None = None
    key_lines: dict[Any, int]


class _MarkedList(list):
    """A sequence that remembers the line it starts on and the line of each item (1-based)."""

    line: int | None = None
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records line numbers and refuses duplicate keys (which plain YAML
    loading would silently resolve to the last one)."""


def _construct_marked_mapping(loader: _LineLoader, node: yaml.MappingNode):
    loader.flatten_mapping(node)
    data = _MarkedDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int):
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain names", key_node.start_mark
            )
        if key in data:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_marked_sequence(loader: _LineLoader, node: yaml.SequenceNode):
    data = _MarkedList()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_marked_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_marked_sequence)


def parse_taxonomy_yaml(text: str, source: str = "taxonomy file") -> Any:
    """Parse YAML text into plain data that remembers line numbers; raise TaxonomyFileError
    with the line of a syntax error or duplicate key."""
    try:
        # _LineLoader is a SafeLoader: no arbitrary objects (bandit B506 accepted).
        return yaml.load(text, Loader=_LineLoader)  # nosec B506
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source} line {mark.line + 1}" if mark else source
        problem = ": ".join(part for part in (error.context, error.problem) if part)
        raise TaxonomyFileError([f"{where}: invalid YAML: {problem}"]) from error
    except yaml.YAMLError as error:
        raise TaxonomyFileError([f"{source}: invalid YAML: {error}"]) from error


def read_taxonomy_file(path: str | os.PathLike) -> Any:
    """Read and parse a taxonomy file; errors are named after the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise TaxonomyFileError([f"{path.name}: not UTF-8 text ({error.reason})"]) from error
    except OSError as error:
        raise TaxonomyFileError([f"{path}: cannot read the file: {error.strerror}"]) from error
    return parse_taxonomy_yaml(text, source=path.name)


# --- Validation -------------------------------------------------------------------------------


def _describe(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{kinds.get(type(value), type(value).__name__)} ({value!r})"


class _Invalid(Exception):
    pass


def _clean_integer(value: Any, key: Key) -> int:
    # bool is an int in Python; `true` is never a valid number here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"expected an integer, got {_describe(value)}")
    if not key.minimum <= value <= key.maximum:
        raise _Invalid(f"{value} is outside {key.minimum}..{key.maximum}")
    return value


def _clean_string(value: Any, key: Key) -> str:
    if not isinstance(value, str):
        hint = " (put it in quotes)" if isinstance(value, int | float) else ""
        raise _Invalid(f"expected a string, got {_describe(value)}{hint}")
    value = value.strip()
    if key.max_length is not None and len(value) > key.max_length:
        raise _Invalid(f"is {len(value)} characters long; the limit is {key.max_length}")
    return value


def _clean_slug(value: Any, key: Key) -> str:
    value = _clean_string(value, key)
    if not SLUG_PATTERN.match(value):
        raise _Invalid(f"{value!r} is not a slug (letters, digits, hyphens, underscores)")
    return value


def _clean_scalar(value: Any, key: Key) -> Any:
    if key.kind == INTEGER:
        return _clean_integer(value, key)
    if key.kind == BOOLEAN:
        if not isinstance(value, bool):
            raise _Invalid(f"expected true or false, got {_describe(value)}")
        return value
    if key.kind == SLUG:
        return _clean_slug(value, key)
    value = _clean_string(value, key)
    if key.kind == CHOICE and value not in key.choices:
        raise _Invalid(f"{value!r} is not one of {', '.join(key.choices)}")
    if key.kind == DOI and value and not DOI_PATTERN.match(value):
        raise _Invalid(
            f"{value!r} is not a bare DOI (write 10.xxxx/yyyy, without https://doi.org/)"
        )
    if key.kind == URL and value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise _Invalid(f"{value!r} is not an http(s) URL") from None
    return value


def _empty(key: Key) -> Any:
    if key.kind == MAPPING:
        return {name: _empty(item_key) for name, item_key in key.keys.items()}
    if key.kind in (STRINGS, INTEGERS, SLUGS):
        return []
    if key.kind == BOOLEAN:
        return False
    if key.kind == INTEGER:
        return None
    return ""


@dataclass
class _Validator:
    source: str
    problems: list[str] = field(default_factory=list)

    def report(self, container: Any, where: Any, path: str, message: str) -> None:
        line = None
        if isinstance(container, _MarkedDict):
            line = container.key_lines.get(where, container.line)
        elif isinstance(container, _MarkedList):
            in_range = isinstance(where, int) and 0 <= where < len(container.item_lines)
            line = container.item_lines[where] if in_range else container.line
        prefix = f"{self.source} line {line}" if line else self.source
        self.problems.append(f"{prefix}: {path}: {message}")

    def mapping(self, value: Any, keys: dict[str, Key], path: str, parent: Any, where: Any):
        """Check one mapping against its keys; return it cleaned, with defaults filled in."""
        if not isinstance(value, Mapping):
            self.report(parent, where, path, f"expected a mapping, got {_describe(value)}")
            return None
        cleaned = {}
        for name in value:
            if name not in keys:
                allowed = ", ".join(keys)
                self.report(value, name, f"{path}.{name}", f"unknown key (allowed: {allowed})")
        for name, key in keys.items():
            raw = value.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if key.required:
                    self.report(value, name, f"{path}.{name}", "is required")
                cleaned[name] = _empty(key)
                continue
            cleaned[name] = self.value(value[name], key, f"{path}.{name}", value, name)
        return cleaned

    def value(self, value: Any, key: Key, path: str, parent: Any, where: Any) -> Any:
        item_kinds = {STRINGS: STRING, INTEGERS: INTEGER, SLUGS: SLUG}
        if key.kind == MAPPING:
            cleaned = self.mapping(value, key.keys, path, parent, where)
            return _empty(key) if cleaned is None else cleaned
        try:
            if key.kind not in item_kinds:
                return _clean_scalar(value, key)
            if not isinstance(value, list):
                raise _Invalid(f"expected a list, got {_describe(value)}")
        except _Invalid as problem:
            self.report(parent, where, path, str(problem))
            return _empty(key)
        items = []
        item_key = Key(item_kinds[key.kind], minimum=1)
        for index, item in enumerate(value):
            try:
                item = _clean_scalar(item, item_key)
            except _Invalid as problem:
                self.report(value, index, f"{path}[{index}]", str(problem))
                continue
            if item == "":
                self.report(value, index, f"{path}[{index}]", "is empty")
            elif item in items:
                self.report(value, index, f"{path}[{index}]", f"{item!r} is listed twice")
            else:
                items.append(item)
        if key.required and not items:
            self.report(parent, where, path, "needs at least one entry")
        return items

    def section(self, document: Mapping, name: str) -> list[tuple[Any, dict, str]]:
        """Check a top-level list; return (raw item, cleaned item, path) for each mapping."""
        items = document.get(name)
        if items is None:
            return []
        if not isinstance(items, list):
            self.report(document, name, name, f"expected a list, got {_describe(items)}")
            return []
        checked = []
        for index, item in enumerate(items):
            path = f"{name}[{index}]"
            cleaned = self.mapping(item, FILE_FORMAT[name], path, items, index)
            if cleaned is not None:
                checked.append((item, cleaned, path))
        return checked

    def unique(self, checked: list[tuple[Any, dict, str]], name: str, label: str) -> set:
        seen = set()
        for raw, cleaned, path in checked:
            value = cleaned[name]
            if value in (None, ""):
                continue
            if value in seen:
                self.report(raw, name, f"{path}.{name}", f"duplicate {label} {value!r}")
            seen.add(value)
        return seen

    def known(self, raw, cleaned, path, name, known: set, label: str) -> None:
        """Report each value of cleaned[name] (one value or a list) that is not in known."""
        values = cleaned[name] if isinstance(cleaned[name], list) else [cleaned[name]]
        for index, value in enumerate(values):
            if value in (None, "") or value in known:
                continue
            if isinstance(cleaned[name], list):
                where_path = f"{path}.{name}[{index}]"
                container, where = raw[name], index
            else:
                where_path, container, where = f"{path}.{name}", raw, name
            self.report(container, where, where_path, f"{value!r} is not {label} in this file")


@dataclass
class _Plan:
    """A validated taxonomy file, with defaults filled in."""

    taxonomy: dict
    categories: list[dict]
    strategies: list[dict]
    cases: list[dict]
    references: list[dict]


def _validate(document: Any, source: str) -> _Plan:
    check = _Validator(source)
    if not isinstance(document, Mapping):
        raise TaxonomyFileError(
            [f"{source}: expected a mapping with the keys {', '.join(FILE_FORMAT)}"]
        )
    for name in document:
        if name not in FILE_FORMAT:
            check.report(document, name, name, f"unknown key (allowed: {', '.join(FILE_FORMAT)})")
    for name in REQUIRED_SECTIONS:
        if name not in document:
            check.report(document, name, name, "is required")

    if "schema" in document:
        schema = document["schema"]
        if schema != SCHEMA_VERSION or isinstance(schema, bool):
            message = f"this loader reads schema {SCHEMA_VERSION}, not {schema!r}"
            check.report(document, "schema", "schema", message)
    taxonomy = None
    if "taxonomy" in document:
        taxonomy = check.mapping(
            document["taxonomy"], TAXONOMY_KEYS, "taxonomy", document, "taxonomy"
        )

    categories = check.section(document, "categories")
    strategies = check.section(document, "strategies")
    cases = check.section(document, "cases")
    references = check.section(document, "references")

    category_slugs = check.unique(categories, "slug", "category slug")
    strategy_slugs = check.unique(strategies, "slug", "strategy slug")
    check.unique(cases, "slug", "case slug")
    numbers = check.unique(references, "number", "reference number")
    check.unique(references, "key", "citation key")

    for raw, cleaned, path in strategies:
        check.known(raw, cleaned, path, "category", category_slugs, "a category slug")
        check.known(raw, cleaned, path, "parent", strategy_slugs, "a strategy slug")
        check.known(raw, cleaned, path, "related", strategy_slugs, "a strategy slug")
        check.known(raw, cleaned, path, "references", numbers, "a reference number")
        if cleaned["parent"] and cleaned["parent"] == cleaned["slug"]:
            check.report(raw, "parent", f"{path}.parent", "a strategy cannot be its own parent")
        if cleaned["slug"] and cleaned["slug"] in cleaned["related"]:
            check.report(raw, "related", f"{path}.related", "a strategy cannot relate to itself")
    _check_parent_loops(check, strategies)
    for raw, cleaned, path in cases:
        check.known(raw, cleaned, path, "strategies", strategy_slugs, "a strategy slug")
        check.known(raw, cleaned, path, "references", numbers, "a reference number")

    if check.problems:
        raise TaxonomyFileError(check.problems)
    return _Plan(
        taxonomy=taxonomy,
        categories=_with_positions([cleaned for _, cleaned, _ in categories]),
        strategies=_with_positions([cleaned for _, cleaned, _ in strategies], within="category"),
        cases=_with_positions([cleaned for _, cleaned, _ in cases]),
        references=[cleaned for _, cleaned, _ in references],
    )


def _check_parent_loops(check: _Validator, strategies: list[tuple[Any, dict, str]]) -> None:
    parents = {cleaned["slug"]: cleaned["parent"] for _, cleaned, _ in strategies}
    for raw, cleaned, path in strategies:
        start = cleaned["slug"]
        chain, parent = [start], parents.get(start)
        while parent and parent not in chain:
            chain.append(parent)
            parent = parents.get(parent)
        # A strategy that is its own parent is reported on its own; a loop further up the
        # chain is reported for the strategies on it.
        if parent == start and len(chain) > 1:
            loop = " → ".join([*chain, start])
            check.report(raw, "parent", f"{path}.parent", f"parents form a loop: {loop}")


def _with_positions(items: list[dict], within: str | None = None) -> list[dict]:
    """Items without a position take their order in the file (within their category)."""
    counters: dict[Any, int] = defaultdict(int)
    for item in items:
        group = item[within] if within else None
        counters[group] += 1
        if item["position"] is None:
            item["position"] = counters[group]
    return items


# --- Loading ----------------------------------------------------------------------------------


@dataclass
class ModelCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass
class LoadSummary:
    """What a load did, per model. ``taxonomy`` counts include another taxonomy that stopped
    being the default because this one became it."""

    taxonomy: Taxonomy
    counts: dict[str, ModelCounts]

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.deleted for c in self.counts.values())

    def __str__(self) -> str:
        lines = [f"Taxonomy {self.taxonomy.slug!r}: {'changed' if self.changed else 'no change'}"]
        for name, c in self.counts.items():
            lines.append(
                f"  {name}: {c.created} created, {c.updated} updated, {c.deleted} deleted, "
                f"{c.unchanged} unchanged"
            )
        return "\n".join(lines)


def load_taxonomy(source: Mapping | str | os.PathLike, *, name: str | None = None) -> LoadSummary:
    """Load a taxonomy from a data file (a path) or already-parsed data (a mapping).

    The whole input is validated first; any fault raises TaxonomyFileError listing each
    problem with its line and field, and nothing is written. Then, in one transaction, the
    taxonomy with the file's slug is created or updated in place: categories, strategies and
    cases are matched by slug and references by number, rows that differ are updated, rows
    missing from the file are deleted, and identical rows are not saved at all, so loading the
    same file twice changes nothing. A taxonomy marked ``default: true`` becomes the only
    default. ``name`` labels error messages for mapping input.
    """
    if isinstance(source, Mapping):
        document, label = source, name or "taxonomy data"
    else:
        document, label = read_taxonomy_file(source), name or Path(source).name
    plan = _validate(document, label)
    return _write(plan)


@transaction.atomic
def _write(plan: _Plan) -> LoadSummary:
    row = plan.taxonomy
    values = {
        "title": row["title"],
        "version": row["version"],
        "description": row["description"],
        "is_default": row["default"],
    }
    counts = {
        name: ModelCounts()
        for name in ("taxonomy", "categories", "strategies", "cases", "references")
    }
    if row["default"]:
        # Only one default is allowed (a unique constraint): unset the others first.
        counts["taxonomy"].updated += (
            Taxonomy.objects.filter(is_default=True)
            .exclude(slug=row["slug"])
            .update(is_default=False)
        )
    statuses: dict[Any, str] = {}
    existing = Taxonomy.objects.filter(slug=row["slug"]).first()
    taxonomy = _upsert(Taxonomy, existing, {"slug": row["slug"], **values}, statuses, "taxonomy")
    _tally(counts["taxonomy"], statuses)

    references = _sync_references(taxonomy, plan.references, counts["references"])
    categories = _sync_rows(
        Category,
        taxonomy,
        {
            item["slug"]: {
                **{
                    name: item[name]
                    for name in ("name", "goal", "summary", "description", "position")
                },
                **_translated_values(item),
            }
            for item in plan.categories
        },
        counts["categories"],
        delete_stale=False,  # after strategies have moved out of them
    )
    strategies = _sync_strategies(taxonomy, plan.strategies, categories, references, counts)
    _sync_cases(taxonomy, plan.cases, strategies, references, counts["cases"])
    _delete_stale(Category, taxonomy, set(categories), counts["categories"])
    return LoadSummary(taxonomy=taxonomy, counts=counts)


def _translated_values(item: dict) -> dict:
    """The ``fr:`` mapping of a validated item as model field values (``name_fr``...)."""
    return {
        f"{name}_{TRANSLATION_LANGUAGE}": value
        for name, value in item[TRANSLATION_LANGUAGE].items()
    }


def _upsert(model, obj, values: dict, statuses: dict, key: Any):
    """Create obj or update the fields of it that differ; record created/updated/unchanged."""
    if obj is None:
        obj = model.objects.create(**values)
        statuses[key] = "created"
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)
    statuses[key] = "updated" if changed else "unchanged"
    return obj


def _tally(counts: ModelCounts, statuses: dict[Any, str]) -> None:
    for status in statuses.values():
        setattr(counts, status, getattr(counts, status) + 1)


def _sync_rows(
    model,
    taxonomy: Taxonomy,
    wanted: dict[Any, dict],
    counts: ModelCounts,
    *,
    match: str = "slug",
    delete_stale: bool = True,
    statuses: dict | None = None,
) -> dict:
    """Upsert the rows of one model for one taxonomy, matched on ``match``. With ``statuses``
    given, the caller tallies (after adjusting for many-to-many changes)."""
    existing = {getattr(obj, match): obj for obj in model.objects.filter(taxonomy=taxonomy)}
    own_statuses = {} if statuses is None else statuses
    objects = {
        key: _upsert(
            model,
            existing.get(key),
            {"taxonomy_id": taxonomy.pk, match: key, **values},
            own_statuses,
            key,
        )
        for key, values in wanted.items()
    }
    if statuses is None:
        _tally(counts, own_statuses)
    if delete_stale:
        _delete_stale(model, taxonomy, set(wanted), counts, match=match)
    return objects


def _delete_stale(model, taxonomy, keep: set, counts: ModelCounts, *, match: str = "slug"):
    stale = model.objects.filter(taxonomy=taxonomy).exclude(**{f"{match}__in": keep})
    pks = list(stale.values_list("pk", flat=True))
    if pks:
        try:
            with transaction.atomic():
                model.objects.filter(pk__in=pks).delete()
        except models.ProtectedError as error:
            # Live sessions' mappings and gap notes point at strategies: dropping one from
            # the file must not delete what participants contributed.
            in_use = _protected_rows(model, pks, error, match)
            raise TaxonomyFileError(
                [
                    f"{model._meta.verbose_name_plural.capitalize()} missing from the file "
                    f"are still used in live sessions ({len(error.protected_objects)} "
                    f"contributions point at them): {', '.join(in_use)}. Keep them in the "
                    "file, or delete those contributions first. Nothing was changed."
                ]
            ) from None
    counts.deleted += len(pks)


def _protected_rows(model, pks: list[int], error, match: str) -> list[str]:
    """The keys of the rows about to be deleted that protected objects point at (all of
    them when the protection is further down a cascade)."""
    pointed_at = {
        getattr(obj, field.attname)
        for obj in error.protected_objects
        for field in obj._meta.concrete_fields
        if field.is_relation and field.related_model is model
    }
    rows = model.objects.filter(pk__in=pointed_at & set(pks) or pks)
    return sorted(str(key) for key in rows.values_list(match, flat=True))


def _sync_references(taxonomy, rows: list[dict], counts: ModelCounts) -> dict[int, Reference]:
    wanted = {row["number"]: {k: v for k, v in row.items() if k != "number"} for row in rows}
    # Delete first and park changed keys on a temporary value, so that a citation key moving
    # from one number to another never meets the unique (taxonomy, key) constraint half-way.
    _delete_stale(Reference, taxonomy, set(wanted), counts, match="number")
    for reference in Reference.objects.filter(taxonomy=taxonomy):
        if reference.key != wanted[reference.number]["key"]:
            Reference.objects.filter(pk=reference.pk).update(key=f"~{reference.pk}")
    return _sync_rows(Reference, taxonomy, wanted, counts, match="number", delete_stale=False)


def _parents_first(rows: list[dict]) -> list[dict]:
    by_slug = {row["slug"]: row for row in rows}
    ordered, seen = [], set()

    def visit(row):
        if row["slug"] in seen:
            return
        seen.add(row["slug"])
        if row["parent"]:
            visit(by_slug[row["parent"]])
        ordered.append(row)

    for row in rows:
        visit(row)
    return ordered


def _sync_strategies(taxonomy, rows, categories, references, counts) -> dict[str, Strategy]:
    statuses: dict[str, str] = {}
    existing = {s.slug: s for s in Strategy.objects.filter(taxonomy=taxonomy)}
    strategies: dict[str, Strategy] = {}
    # Parents are saved before their children so that each child's parent_id is known.
    for row in _parents_first(rows):
        values = {
            "taxonomy_id": taxonomy.pk,
            "slug": row["slug"],
            "category_id": categories[row["category"]].pk,
            "parent_id": strategies[row["parent"]].pk if row["parent"] else None,
            **{
                name: row[name]
                for name in ("name", "approach", "summary", "description", "position")
            },
            **_translated_values(row),
        }
        strategies[row["slug"]] = _upsert(
            Strategy, existing.get(row["slug"]), values, statuses, row["slug"]
        )
    related: dict[str, set] = {row["slug"]: set() for row in rows}
    for row in rows:
        # The relation is symmetric: naming it on either side links both.
        for other in row["related"]:
            related[row["slug"]].add(strategies[other].pk)
            related[other].add(strategies[row["slug"]].pk)
    _sync_many(
        strategies,
        "references",
        {row["slug"]: {references[n].pk for n in row["references"]} for row in rows},
        statuses,
    )
    _sync_many(strategies, "related", related, statuses)
    _tally(counts["strategies"], statuses)
    _delete_stale(Strategy, taxonomy, set(strategies), counts["strategies"])
    return strategies


def _sync_cases(taxonomy, rows, strategies, references, counts: ModelCounts) -> None:
    statuses: dict[str, str] = {}
    cases = _sync_rows(
        Case,
        taxonomy,
        {
            row["slug"]: {name: row[name] for name in CASE_FIELDS[1:]} | _translated_values(row)
            for row in rows
        },
        counts,
        statuses=statuses,
    )
    wanted_strategies = {row["slug"]: {strategies[s].pk for s in row["strategies"]} for row in rows}
    wanted_references = {row["slug"]: {references[n].pk for n in row["references"]} for row in rows}
    _sync_many(cases, "strategies", wanted_strategies, statuses)
    _sync_many(cases, "references", wanted_references, statuses)
    _tally(counts, statuses)


def _sync_many(objects: dict, name: str, wanted: dict[Any, set], statuses: dict) -> None:
    """Set a many-to-many field where it differs from ``wanted``; an unchanged row whose links
    change counts as updated. Current links are read in one query, before any is changed, so a
    symmetric relation set from one side is still seen as a change on the other."""
    if not objects:
        return
    model = type(next(iter(objects.values())))
    relation = model._meta.get_field(name)
    source, target = relation.m2m_field_name(), relation.m2m_reverse_field_name()
    current: dict[int, set] = defaultdict(set)
    links = relation.remote_field.through.objects.filter(
        **{f"{source}__in": [obj.pk for obj in objects.values()]}
    ).values_list(f"{source}_id", f"{target}_id")
    for source_pk, target_pk in links:
        current[source_pk].add(target_pk)
    for key, obj in objects.items():
        if current[obj.pk] != wanted[key]:
            getattr(obj, name).set(wanted[key])
            if statuses[key] == "unchanged":
                statuses[key] = "updated"


# --- Export -----------------------------------------------------------------------------------


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
        "taxonomy": _without_empty(
            {
                "slug": taxonomy.slug,
                "title": taxonomy.title,
                "version": taxonomy.version,
                "description": taxonomy.description,
            }
        )
        | {"default": taxonomy.is_default},
        "categories": [
            _without_empty(
                {
                    **{
                        name: getattr(category, name)
                        for name in CATEGORY_KEYS
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
                    TRANSLATION_LANGUAGE: _exported_translations(case),
                }
            )
            for case in cases
        ],
        "references": [
            _without_empty({name: getattr(reference, name) for name in REFERENCE_KEYS})
            for reference in references
        ],
    }
    return data


def _exported_translations(obj) -> dict:
    return _without_empty(
        {name: getattr(obj, f"{name}_{TRANSLATION_LANGUAGE}") for name in obj.translated_fields}
    )


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
