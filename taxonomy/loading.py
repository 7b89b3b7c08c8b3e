"""Loading a taxonomy data file into the database: validate the whole file first
(taxonomy.datafile), then write it in one transaction, so a bad file leaves the database exactly
as it was. The format is docs/taxonomy-format.md.
"""

import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction

from taxonomy.datafile import TaxonomyFileError, TaxonomyPlan, read_taxonomy_file, validate_taxonomy
from taxonomy.datafile.schema import CASE_FIELDS, TRANSLATION_LANGUAGE, term_entries
from taxonomy.models import Case, Category, Reference, Strategy, Taxonomy


@dataclass
class ModelCounts:
    """What a load did to the rows of one model."""

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

    Also refuses, with TaxonomyFileError and nothing changed, a file that leaves out rows live
    sessions still point at (a strategy participants mapped needs to, for example).
    """
    if isinstance(source, Mapping):
        document, label = source, name or "taxonomy data"
    else:
        document, label = read_taxonomy_file(source), name or Path(source).name
    plan = validate_taxonomy(document, source=label)
    return _write(plan)


@transaction.atomic
def _write(plan: TaxonomyPlan) -> LoadSummary:
    row = plan.taxonomy
    values = {
        "title": row["title"],
        "version": row["version"],
        "description": row["description"],
        "is_default": row["default"],
        "community": row["community"],
        "community_name": row["community_name"],
        "glossary": term_entries(row["glossary"]),
        **_translated_values(row),
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
            "synonyms": term_entries(row["synonyms"]),
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
            row["slug"]: {name: row[name] for name in CASE_FIELDS[1:]}
            | {"synonyms": term_entries(row["synonyms"])}
            | _translated_values(row)
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
