import pytest
from django.db import IntegrityError

from tests.factories import ReferenceFactory, StrategyFactory, TaxonomyFactory

pytestmark = pytest.mark.django_db


def test_reference_link_prefers_doi_over_url():
    reference = ReferenceFactory(doi="10.1145/3555105", url="https://example.org/paper")

    assert reference.link == "https://doi.org/10.1145/3555105"


def test_only_one_taxonomy_can_be_the_default():
    TaxonomyFactory(slug="a", is_default=True)

    with pytest.raises(IntegrityError):
        TaxonomyFactory(slug="b", is_default=True)


def test_strategy_slug_is_unique_within_a_taxonomy():
    strategy = StrategyFactory(slug="folk-theorisation")

    with pytest.raises(IntegrityError):
        StrategyFactory(slug="folk-theorisation", category=strategy.category)
