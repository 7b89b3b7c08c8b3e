"""Read side of the taxonomy: each function returns what one page needs in a fixed number of
queries, however large the taxonomy grows. Functions that look something up by slug return
None when it is not in the default taxonomy; the view turns that into a 404."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

from taxonomy.enums import Approach
from taxonomy.evidence import strategy_evidence
from taxonomy.models import Case, Category, Reference, Strategy, Taxonomy
from taxonomy.numbers import percent
from taxonomy.words import folded

SEARCH_MAX_LENGTH = 200


def default_taxonomy() -> Taxonomy | None:
    """The taxonomy the public site shows: the one marked default, else the first. 1 query."""
    return Taxonomy.objects.filter(is_default=True).first() or Taxonomy.objects.first()


# The models' default ordering starts with "taxonomy", which joins Taxonomy to sort by its
# title; every query here is within one taxonomy, so each orders explicitly instead.
def _ordered_strategies():
    return Strategy.objects.order_by("position", "name")


def _nest(strategies: list[Strategy]) -> list[Strategy]:
    """Top-level strategies in order, each with ``sub_strategies`` (its children from the same
    list). A child whose parent is not in the list is shown at the top level."""
    by_pk = {strategy.pk: strategy for strategy in strategies}
    for strategy in strategies:
        strategy.sub_strategies = []
    top = []
    for strategy in strategies:
        parent = by_pk.get(strategy.parent_id)
        if parent is None or parent is strategy:
            top.append(strategy)
        else:
            parent.sub_strategies.append(strategy)
    return top


def category_overview(taxonomy: Taxonomy | None = None) -> list[Category]:
    """Categories of a taxonomy (the default one if none is given) with their strategies
    prefetched. 2 queries, 3 when the default taxonomy has to be found."""
    taxonomy = taxonomy or default_taxonomy()
    if taxonomy is None:
        return []
    return list(
        Category.objects.filter(taxonomy=taxonomy)
        .order_by("position", "name")
        .prefetch_related(Prefetch("strategies", queryset=_ordered_strategies()))
    )


@dataclass
class ApproachShare:
    """How many strategies, and how many cases, one approach accounts for."""

    approach: str
    label: str
    strategies: int
    strategy_percent: int
    cases: int
    case_percent: int


def taxonomy_overview() -> dict | None:
    """The overview page: the default taxonomy, its categories with nested strategies
    (``category.top_strategies``), and per approach the number of strategies and of cases
    (a case counts once for each approach among the strategies it illustrates). 4 queries;
    None when there is no taxonomy at all (1 query)."""
    taxonomy = default_taxonomy()
    if taxonomy is None:
        return None
    categories = category_overview(taxonomy)
    strategies = []
    for category in categories:
        category.top_strategies = _nest(list(category.strategies.all()))
        strategies += category.strategies.all()
    case_counts = Case.objects.filter(taxonomy=taxonomy).aggregate(
        total=Count("pk", distinct=True),
        **{
            approach.value: Count("pk", distinct=True, filter=Q(strategies__approach=approach))
            for approach in Approach
        },
    )
    shares = []
    for approach in Approach:
        strategy_count = sum(1 for strategy in strategies if strategy.approach == approach)
        shares.append(
            ApproachShare(
                approach=approach.value,
                label=approach.label,
                strategies=strategy_count,
                strategy_percent=percent(strategy_count, len(strategies)),
                cases=case_counts[approach.value],
                case_percent=percent(case_counts[approach.value], case_counts["total"]),
            )
        )
    return {
        "taxonomy": taxonomy,
        "categories": categories,
        "approach_shares": shares,
        "strategy_count": len(strategies),
        "case_count": case_counts["total"],
    }


def category_detail(slug: str) -> dict | None:
    """One category of the default taxonomy with its strategies nested under their parents
    (``top_strategies``) and the cases that illustrate any of them, each case with
    ``category_strategies`` (the ones from this category). 5 queries."""
    taxonomy = default_taxonomy()
    category = (
        Category.objects.filter(taxonomy=taxonomy, slug=slug)
        .prefetch_related(Prefetch("strategies", queryset=_ordered_strategies()))
        .first()
    )
    if category is None:
        return None
    cases = list(
        Case.objects.filter(strategies__category=category)
        .distinct()
        .order_by("position", "name")
        .prefetch_related(
            Prefetch(
                "strategies",
                queryset=_ordered_strategies().filter(category=category),
                to_attr="category_strategies",
            )
        )
    )
    return {
        "category": category,
        "top_strategies": _nest(list(category.strategies.all())),
        "cases": cases,
    }


def strategy_detail(slug: str) -> dict | None:
    """One strategy of the default taxonomy with its category, parent, sub-strategies, cases,
    references (by number) and related strategies: the explicit ``related`` ones or, if there
    are none, the others in its category (``related_are_siblings`` says which).
    6 queries, 7 when the category fallback is needed."""
    taxonomy = default_taxonomy()
    strategy = (
        Strategy.objects.filter(taxonomy=taxonomy, slug=slug)
        .select_related("category", "parent")
        .prefetch_related(
            Prefetch("children", queryset=_ordered_strategies()),
            Prefetch("cases", queryset=Case.objects.order_by("position", "name")),
            Prefetch("references", queryset=Reference.objects.order_by("number")),
            Prefetch("related", queryset=Strategy.objects.select_related("category")),
        )
        .first()
    )
    if strategy is None:
        return None
    related = list(strategy.related.all())
    related_are_siblings = not related
    if related_are_siblings:
        shown = [strategy.pk, strategy.parent_id, *(child.pk for child in strategy.children.all())]
        related = list(
            _ordered_strategies()
            .filter(category=strategy.category_id)
            .exclude(pk__in=[pk for pk in shown if pk])
            .select_related("category")
        )
    return {
        "strategy": strategy,
        "related": related,
        "related_are_siblings": related_are_siblings,
        "evidence": strategy_evidence(strategy),
    }


def case_detail(slug: str) -> Case | None:
    """One case of the default taxonomy with its strategies (and their categories) and its
    references. 4 queries."""
    taxonomy = default_taxonomy()
    return (
        Case.objects.filter(taxonomy=taxonomy, slug=slug)
        .prefetch_related(
            Prefetch(
                "strategies",
                queryset=Strategy.objects.select_related("category").order_by(
                    "category__position", "position", "name"
                ),
            ),
            Prefetch("references", queryset=Reference.objects.order_by("number")),
        )
        .first()
    )


def case_list() -> list[Case]:
    """Every case of the default taxonomy with the strategies it illustrates. 3 queries."""
    taxonomy = default_taxonomy()
    if taxonomy is None:
        return []
    return list(
        Case.objects.filter(taxonomy=taxonomy)
        .order_by("position", "name")
        .prefetch_related(
            Prefetch(
                "strategies",
                queryset=Strategy.objects.order_by("category__position", "position", "name"),
            )
        )
    )


def bibliography() -> dict:
    """The default taxonomy's references by number, each with the strategies and cases that
    cite it. 4 queries (1 when there is no taxonomy)."""
    taxonomy = default_taxonomy()
    if taxonomy is None:
        return {"taxonomy": None, "references": []}
    references = (
        Reference.objects.filter(taxonomy=taxonomy)
        .order_by("number")
        .prefetch_related(
            Prefetch("strategies", queryset=_ordered_strategies()),
            Prefetch("cases", queryset=Case.objects.order_by("position", "name")),
        )
    )
    return {"taxonomy": taxonomy, "references": list(references)}


def references_for_export(strategy_slug: str | None = None) -> dict | None:
    """References to export, by number: the whole bibliography of the default taxonomy
    (2 queries), or those of one strategy (3 queries; None if there is no such strategy).
    ``name`` is what the download is called after."""
    taxonomy = default_taxonomy()
    if taxonomy is None:
        return None if strategy_slug else {"name": "references", "references": []}
    references = Reference.objects.filter(taxonomy=taxonomy).order_by("number")
    if strategy_slug is None:
        return {"name": taxonomy.slug, "references": list(references)}
    strategy = Strategy.objects.filter(taxonomy=taxonomy, slug=strategy_slug).first()
    if strategy is None:
        return None
    return {"name": strategy.slug, "references": list(references.filter(strategies=strategy))}


@dataclass
class SearchResults:
    """What a search found, strategies, cases and references, each name/title match first."""

    terms: list[str] = field(default_factory=list)
    strategies: list[Strategy] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.strategies) + len(self.cases) + len(self.references)


def search_terms(query: str) -> list[str]:
    """The distinct words of a query, in order, compared without case."""
    terms: list[str] = []
    for word in query.split():
        if word.casefold() not in {term.casefold() for term in terms}:
            terms.append(word)
    return terms


def _synonym_words(entries: list) -> str:
    """The community's words for an item (its ``synonyms``, in either language), one text."""
    return "\n".join(word for entry in entries for words in entry.values() for word in words)


def _ranked(
    items, terms: list[str], fields: list[str], *, names: list[str], also, also_names, order
):
    """The ``items`` holding every term in one of their ``fields`` or in ``also(item)`` (their
    synonyms or authors), those holding every term in one of their ``names`` (or, with
    ``also_names``, in ``also(item)``: the community's words name the item too) first, then
    by ``order``."""
    found = []
    for item in items:
        texts = [folded(getattr(item, name) or "") for name in fields]
        extra = folded(also(item))
        if all(any(term in text for text in texts) or term in extra for term in terms):
            named = [folded(getattr(item, name) or "") for name in names]
            if also_names:
                named.append(extra)
            first = any(all(term in name for term in terms) for name in named)
            found.append(((not first, *order(item)), item))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def search(query: str) -> SearchResults:
    """Strategies (name, summary, description, synonyms), cases (name, community, platform,
    summary, description, synonyms) and references (title, authors, venue, key) of the
    default taxonomy that contain every word of ``query``, in English or French, without
    regard to case or accents; name and title matches rank first. 4 queries (a taxonomy holds
    dozens of each, compared here rather than by each database's own rules), none for an
    empty query."""
    terms = search_terms(query)
    if not terms:
        return SearchResults()
    taxonomy = default_taxonomy()
    if taxonomy is None:
        return SearchResults(terms=terms)
    wanted = [folded(term) for term in terms]
    strategies = _ranked(
        Strategy.objects.filter(taxonomy=taxonomy).select_related("category"),
        wanted,
        _with_french(["name", "summary", "description"]),
        names=["name", "name_fr"],
        also=lambda strategy: _synonym_words(strategy.synonyms),
        also_names=True,
        order=lambda strategy: (strategy.category.position, strategy.position, strategy.name),
    )
    cases = _ranked(
        Case.objects.filter(taxonomy=taxonomy),
        wanted,
        _with_french(["name", "community", "platform", "summary", "description"]),
        names=["name", "name_fr"],
        also=lambda case: _synonym_words(case.synonyms),
        also_names=True,
        order=lambda case: (case.position, case.name),
    )
    references = _ranked(
        Reference.objects.filter(taxonomy=taxonomy),
        wanted,
        ["title", "venue", "key"],
        names=["title"],
        also=lambda reference: "\n".join(reference.authors),
        also_names=False,
        order=lambda reference: (reference.number,),
    )
    return SearchResults(terms=terms, strategies=strategies, cases=cases, references=references)


def _with_french(fields: list[str]) -> list[str]:
    """Search the French text too: a French speaker types French words."""
    return fields + [f"{name}_fr" for name in fields]


def term_entries(taxonomy: Taxonomy) -> list[dict]:
    """The taxonomy's bilingual glossary: its own ``glossary`` and the ``synonyms`` of its
    strategies and cases, as entries {"en": [...], "fr": [...]} (two queries)."""
    entries = list(taxonomy.glossary)
    for model in (Strategy, Case):
        for synonyms in model.objects.filter(taxonomy=taxonomy).values_list("synonyms", flat=True):
            entries.extend(synonyms)
    return entries
