"""factory_boy factories, one per model, with no surprises."""

import factory

from taxonomy.enums import Approach, ReferenceKind
from taxonomy.models import Case, Category, Reference, Strategy, Taxonomy


class TaxonomyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Taxonomy
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"taxonomy-{n}")
    title = factory.Sequence(lambda n: f"Taxonomy {n}")
    version = "1.0"
    is_default = False


def default_taxonomy():
    return TaxonomyFactory(slug="default", title="Default taxonomy", is_default=True)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    taxonomy = factory.LazyFunction(default_taxonomy)
    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n} Strategies")
    goal = factory.Sequence(lambda n: f"Goal {n}")
    summary = "What this category is for."
    position = factory.Sequence(int)


class ReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reference

    taxonomy = factory.LazyFunction(default_taxonomy)
    number = factory.Sequence(lambda n: n + 1)
    key = factory.Sequence(lambda n: f"author{n}2024")
    kind = ReferenceKind.ARTICLE
    authors = factory.LazyFunction(lambda: ["A. Author", "B. Writer"])
    year = 2024
    title = factory.Sequence(lambda n: f"A study of collective action {n}")
    venue = "Journal of Examples"
    doi = factory.Sequence(lambda n: f"10.1234/example.{n}")


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy
        skip_postgeneration_save = True

    category = factory.SubFactory(CategoryFactory)
    taxonomy = factory.SelfAttribute("category.taxonomy")
    slug = factory.Sequence(lambda n: f"strategy-{n}")
    name = factory.Sequence(lambda n: f"Strategy {n}")
    approach = Approach.PLATFORM
    summary = "How people use this strategy."
    description = "A longer description of the strategy."
    position = factory.Sequence(int)

    @factory.post_generation
    def references(self, create, extracted, **kwargs):
        if create and extracted:
            self.references.set(extracted)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    taxonomy = factory.LazyFunction(default_taxonomy)
    slug = factory.Sequence(lambda n: f"case-{n}")
    name = factory.Sequence(lambda n: f"Case {n}")
    year = 2023
    summary = "What happened."
    position = factory.Sequence(int)

    @factory.post_generation
    def strategies(self, create, extracted, **kwargs):
        if create and extracted:
            self.strategies.set(extracted)

    @factory.post_generation
    def references(self, create, extracted, **kwargs):
        if create and extracted:
            self.references.set(extracted)
