"""Validating a parsed taxonomy file: the JSON Schema (datafile.schema) checks each value, then
code checks what a schema cannot: slugs and numbers that must be unique, references between
items, parent loops. Every problem names the file, the line and the field, and all of them are
reported at once."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from jsonschema import Draft202012Validator, FormatChecker, validators

from taxonomy.datafile.errors import TaxonomyFileError
from taxonomy.datafile.reading import line_of, marked_copy
from taxonomy.datafile.schema import (
    DOI_PATTERN,
    FILE_SCHEMA,
    HTTP_URL,
    SCHEMA_VERSION,
    SLUG_PATTERN,
)

Location = tuple[Any, ...]  # keys and indexes from the top of the file to a value

_TYPES = Draft202012Validator.TYPE_CHECKER.redefine_many(
    {
        # bool is an int in Python, and JSON Schema counts 1.0 as an integer: neither is here.
        "integer": lambda _checker, value: isinstance(value, int) and not isinstance(value, bool),
        "object": lambda _checker, value: isinstance(value, Mapping),
    }
)
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks(HTTP_URL, raises=DjangoValidationError)
def _is_http_url(value: Any) -> bool:
    if isinstance(value, str):
        URLValidator(schemes=["http", "https"])(value)
    return True


_SCHEMA_VALIDATOR = validators.extend(Draft202012Validator, type_checker=_TYPES)(
    FILE_SCHEMA, format_checker=_FORMATS
)

_EXPECTED = {
    "string": "a string",
    "integer": "an integer",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
}
_NOT_MATCHING = {
    SLUG_PATTERN: "is not a slug (letters, digits, hyphens, underscores)",
    DOI_PATTERN: "is not a bare DOI (write 10.xxxx/yyyy, without https://doi.org/)",
}
# A value that breaks several rules is reported once, for the first of them here.
_RULE_ORDER = ("type", "maxLength", "minLength", "pattern", "enum", "format", "minimum", "maximum")


def _describe(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{kinds.get(type(value), type(value).__name__)} ({value!r})"


def _messages(error) -> list[tuple[Location, str]]:
    """What users read for one schema error: (path of the faulty value, message) pairs."""
    path, value, rule = tuple(error.absolute_path), error.instance, error.schema
    match error.validator:
        case "type":
            expected = rule["type"] if isinstance(rule["type"], str) else rule["type"][0]
            quote = expected == "string" and isinstance(value, int | float)
            hint = " (put it in quotes)" if quote else ""
            return [(path, f"expected {_EXPECTED[expected]}, got {_describe(value)}{hint}")]
        case "required":
            return [
                (path + (name,), "is required") for name in rule["required"] if name not in value
            ]
        case "additionalProperties":
            allowed = ", ".join(rule["properties"])
            unknown = [name for name in value if name not in rule["properties"]]
            return [(path + (name,), f"unknown key (allowed: {allowed})") for name in unknown]
        case "maxLength":
            message = f"is {len(value)} characters long; the limit is {rule['maxLength']}"
        case "minLength":
            message = "is empty"
        case "pattern":
            message = f"{value!r} {_NOT_MATCHING[rule['pattern']]}"
        case "enum":
            message = f"{value!r} is not one of {', '.join(rule['enum'])}"
        case "format":
            message = f"{value!r} is not an http(s) URL"
        case "minimum" | "maximum":
            message = f"{value} is outside {rule['minimum']}..{rule['maximum']}"
        case "const":
            message = f"this loader reads schema {SCHEMA_VERSION}, not {value!r}"
        case _:
            # uniqueItems and minItems are reported while cleaning, which knows which items
            # are valid (a faulty item is neither a repeat nor an entry).
            return []
    return [(path, message)]


def _schema_problems(document: Mapping) -> dict[Location, str]:
    """The values that break the schema, each with the message of the first rule it breaks."""
    found: dict[Location, tuple[int, str]] = {}
    for error in _SCHEMA_VALIDATOR.iter_errors(document):
        rank = _RULE_ORDER.index(error.validator) if error.validator in _RULE_ORDER else 0
        for path, message in _messages(error):
            if path not in found or rank < found[path][0]:
                found[path] = (rank, message)
    return {path: message for path, (_, message) in found.items()}


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _normalised(value: Any, schema: dict, *, blank_is_absent: bool = True) -> Any:
    """A copy, with its lines, in which text is stripped and keys with a blank value are left
    out (the format treats them as absent); the top level keeps its keys as written."""
    types = schema.get("type", ())
    types = (types,) if isinstance(types, str) else types
    if isinstance(value, str) and "string" in types:
        return value.strip()
    if isinstance(value, Mapping) and "object" in types:
        keys = schema["properties"]
        kept = {
            name: _normalised(item, keys.get(name, {}))
            for name, item in value.items()
            # An unknown key is kept, blank or not, to be reported.
            if not (blank_is_absent and name in keys and _is_blank(item))
        }
        return marked_copy(value, kept)
    if isinstance(value, list) and "array" in types:
        return marked_copy(value, [_normalised(item, schema["items"]) for item in value])
    return value


def _default(schema: dict) -> Any:
    if "properties" in schema:
        return {name: _default(item) for name, item in schema["properties"].items()}
    default = schema.get("default")
    return list(default) if isinstance(default, list) else default


def _order(path: Location) -> list[int]:
    """Sorts problems as the format lists keys: unknown keys first, then in schema order."""
    schema, ranks = FILE_SCHEMA, []
    for step in path:
        keys = list(schema.get("properties", ()))
        if keys:
            ranks.append(keys.index(step) if step in keys else -1)
            schema = schema["properties"].get(step, {})
        else:
            ranks.append(step)
            schema = schema.get("items", {})
    return ranks


@dataclass
class TaxonomyPlan:
    """A validated taxonomy file, with defaults filled in: what load_taxonomy writes."""

    taxonomy: dict
    categories: list[dict]
    strategies: list[dict]
    cases: list[dict]
    references: list[dict]


Checked = list[tuple[Location, dict]]  # (path, cleaned item) for each valid item of a section


@dataclass
class _Check:
    """One validation of one file: the problems found so far, and the locations at fault, whose
    values the plan leaves out so that one fault is not reported again as another."""

    source: str
    document: Mapping
    faults: set[Location] = field(default_factory=set)
    found: list[tuple[Location, str, Location]] = field(default_factory=list)

    def report(self, path: Location, message: str, *, sort_as: Location | None = None) -> None:
        self.faults.add(path)
        self.found.append((path, message, sort_as or path))

    def problems(self, *, sort_first: int) -> list[str]:
        """The messages users read; the first ``sort_first`` (the schema's) in schema order."""
        in_order = sorted(self.found[:sort_first], key=lambda item: _order(item[2]))
        return [self._message(path, text) for path, text, _ in in_order + self.found[sort_first:]]

    def _message(self, path: Location, text: str) -> str:
        label = ""
        for index, step in enumerate(path):
            if isinstance(self.at(path[:index]), list):
                label += f"[{step}]"
            else:
                label += f".{step}" if label else str(step)
        line = line_of(self.at(path[:-1]), path[-1])
        where = f"{self.source} line {line}" if line else self.source
        return f"{where}: {label}: {text}"

    def cleaned(self, value: Any, schema: dict, path: Location) -> Any:
        """value as the loader writes it: defaults for what is absent or faulty, and lists
        without faulty or repeated items (repeats are reported here)."""
        if value is None or path in self.faults:
            return _default(schema)
        if "properties" in schema:
            return {
                name: self.cleaned(value.get(name), item, (*path, name))
                for name, item in schema["properties"].items()
            }
        if schema.get("type") != "array":
            return value
        items = []
        for index, item in enumerate(value):
            if (*path, index) in self.faults:
                continue
            if item in items:
                self.report((*path, index), f"{item!r} is listed twice")
            else:
                items.append(item)
        if schema.get("minItems") and not items:
            # Reported after the list's items, which say why none of them counts.
            self.report(path, "needs at least one entry", sort_as=(*path, len(value)))
        return items

    def section(self, name: str) -> Checked:
        """The cleaned mappings of one top-level list (an item that is no mapping is left out)."""
        items = self.document.get(name)
        if not isinstance(items, list) or (name,) in self.faults:
            return []
        schema = FILE_SCHEMA["properties"][name]["items"]
        return [
            ((name, index), self.cleaned(item, schema, (name, index)))
            for index, item in enumerate(items)
            if (name, index) not in self.faults
        ]

    def unique(self, checked: Checked, name: str, label: str) -> set:
        seen = set()
        for path, cleaned in checked:
            value = cleaned[name]
            if value in (None, ""):
                continue
            if value in seen:
                self.report((*path, name), f"duplicate {label} {value!r}")
            seen.add(value)
        return seen

    def known(self, path: Location, cleaned: dict, name: str, known: set, label: str) -> None:
        """Report each value of cleaned[name] (one value or a list) that is not in known; list
        items are named by their place in the file."""
        values = cleaned[name]
        if not isinstance(values, list):
            if values not in (None, "") and values not in known:
                self.report((*path, name), f"{values!r} is not {label} in this file")
            return
        if not values:
            return  # absent, or not a list
        for index, value in enumerate(self.at((*path, name))):
            if (*path, name, index) not in self.faults and value not in known:
                self.report((*path, name, index), f"{value!r} is not {label} in this file")

    def at(self, path: Location) -> Any:
        """The value at path, as written (stripped)."""
        value = self.document
        for step in path:
            value = value[step]
        return value


def validate_taxonomy(document: Any, *, source: str) -> TaxonomyPlan:
    """Check parsed file data (parse_taxonomy_yaml's, or a plain mapping) and return what to
    write, with defaults filled in and positions numbered. Has no side effects.

    Refuses with TaxonomyFileError, listing every problem with its file (``source``), line and
    field: data that is not a mapping or breaks the schema; a repeated slug, reference number or
    citation key; a category, strategy or reference number the file does not have; a strategy
    that is its own parent or relation; parents that form a loop; a community without its name
    (or a name without its community).
    """
    if not isinstance(document, Mapping):
        keys = ", ".join(FILE_SCHEMA["properties"])
        raise TaxonomyFileError([f"{source}: expected a mapping with the keys {keys}"])
    document = _normalised(document, FILE_SCHEMA, blank_is_absent=False)
    check = _Check(source, document)
    for path, message in _schema_problems(document).items():
        check.report(path, message)
    taxonomy = check.cleaned(
        document.get("taxonomy"), FILE_SCHEMA["properties"]["taxonomy"], ("taxonomy",)
    )
    categories = check.section("categories")
    strategies = check.section("strategies")
    cases = check.section("cases")
    references = check.section("references")
    from_schema = len(check.found)

    category_slugs = check.unique(categories, "slug", "category slug")
    strategy_slugs = check.unique(strategies, "slug", "strategy slug")
    check.unique(cases, "slug", "case slug")
    numbers = check.unique(references, "number", "reference number")
    check.unique(references, "key", "citation key")
    for path, cleaned in strategies:
        check.known(path, cleaned, "category", category_slugs, "a category slug")
        check.known(path, cleaned, "parent", strategy_slugs, "a strategy slug")
        check.known(path, cleaned, "related", strategy_slugs, "a strategy slug")
        check.known(path, cleaned, "references", numbers, "a reference number")
        if cleaned["parent"] and cleaned["parent"] == cleaned["slug"]:
            check.report((*path, "parent"), "a strategy cannot be its own parent")
        if cleaned["slug"] and cleaned["slug"] in cleaned["related"]:
            check.report((*path, "related"), "a strategy cannot relate to itself")
    _check_parent_loops(check, strategies)
    for path, cleaned in cases:
        check.known(path, cleaned, "strategies", strategy_slugs, "a strategy slug")
        check.known(path, cleaned, "references", numbers, "a reference number")
    _check_community(check, taxonomy)

    if check.found:
        raise TaxonomyFileError(check.problems(sort_first=from_schema))
    return TaxonomyPlan(
        taxonomy=taxonomy,
        categories=_with_positions([cleaned for _, cleaned in categories]),
        strategies=_with_positions([cleaned for _, cleaned in strategies], within="category"),
        cases=_with_positions([cleaned for _, cleaned in cases]),
        references=[cleaned for _, cleaned in references],
    )


def _check_parent_loops(check: _Check, strategies: Checked) -> None:
    parents = {cleaned["slug"]: cleaned["parent"] for _, cleaned in strategies}
    for path, cleaned in strategies:
        start = cleaned["slug"]
        chain, parent = [start], parents.get(start)
        while parent and parent not in chain:
            chain.append(parent)
            parent = parents.get(parent)
        # A strategy that is its own parent is reported on its own; a loop further up the
        # chain is reported for the strategies on it.
        if parent == start and len(chain) > 1:
            loop = " → ".join([*chain, start])
            check.report((*path, "parent"), f"parents form a loop: {loop}")


def _check_community(check: _Check, taxonomy: dict) -> None:
    """The community the workshop is about comes with the name the board shows for it."""
    where = ("taxonomy",)
    if not isinstance(check.document.get("taxonomy"), Mapping) or where in check.faults:
        return
    if taxonomy["community"] and not taxonomy["community_name"]:
        check.report((*where, "community_name"), "is required when community is given")
    elif taxonomy["community_name"] and not taxonomy["community"]:
        check.report((*where, "community"), "is required when community_name is given")


def _with_positions(items: list[dict], within: str | None = None) -> list[dict]:
    """Items without a position take their order in the file (within their category)."""
    counters: dict[Any, int] = defaultdict(int)
    for item in items:
        group = item[within] if within else None
        counters[group] += 1
        if item["position"] is None:
            item["position"] = counters[group]
    return items
