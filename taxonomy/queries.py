"""Read side of the taxonomy: each function returns what one page needs in a fixed number of
queries, however large the taxonomy grows."""

from django.db.models import Prefetch

from taxonomy.models import Category, Strategy, Taxonomy


def default_taxonomy() -> Taxonomy | None:
    return Taxonomy.objects.filter(is_default=True).first() or Taxonomy.objects.first()


def category_overview(taxonomy: Taxonomy | None = None) -> list[Category]:
    taxonomy = taxonomy or default_taxonomy()
    if taxonomy is None:
        return []
    return list(
        Category.objects.filter(taxonomy=taxonomy).prefetch_related(
            Prefetch("strategies", queryset=Strategy.objects.order_by("position", "name"))
        )
    )
