"""Where a taxonomy's research pays attention to the community its workshop is about.

A reference lists the communities it studies (``Reference.communities``); the taxonomy names
the community the workshop is about (``Taxonomy.community``). A strategy's research is its own
references and those of the cases that illustrate it (on the seed page, the works about
LGBTQ+ creators on TikTok and in China are the examples of folk theorisation), so a strategy
pays attention to the community when one of those references studies it. Nothing here is
stored: it follows from the data file, and changes with it."""

from collections import defaultdict

from taxonomy.models import Case, Reference, Strategy, Taxonomy


def studies_community(reference: Reference, taxonomy: Taxonomy) -> bool:
    return bool(taxonomy.community) and taxonomy.community in (reference.communities or [])


def community_references(taxonomy: Taxonomy) -> dict[int, list[Reference]]:
    """For each strategy (by pk) whose research studies the taxonomy's community, those
    references by number; strategies without any are absent. Four queries at most, whatever
    the size of the taxonomy (one when the taxonomy names no community)."""
    if not taxonomy.community:
        return {}
    # JSON containment is not portable (SQLite has none): the references are few, test here.
    about = {
        reference.pk: reference
        for reference in Reference.objects.filter(taxonomy=taxonomy).order_by("number")
        if studies_community(reference, taxonomy)
    }
    if not about:
        return {}
    found: dict[int, set[int]] = defaultdict(set)
    cited = Strategy.references.through.objects.filter(reference_id__in=about)
    for strategy_id, reference_id in cited.values_list("strategy_id", "reference_id"):
        found[strategy_id].add(reference_id)
    case_references: dict[int, set[int]] = defaultdict(set)
    for case_id, reference_id in Case.references.through.objects.filter(
        reference_id__in=about
    ).values_list("case_id", "reference_id"):
        case_references[case_id].add(reference_id)
    illustrated = Case.strategies.through.objects.filter(case_id__in=case_references)
    for case_id, strategy_id in illustrated.values_list("case_id", "strategy_id"):
        found[strategy_id] |= case_references[case_id]
    return {
        strategy_id: sorted((about[pk] for pk in pks), key=lambda reference: reference.number)
        for strategy_id, pks in found.items()
    }
