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


# --- live sessions ---------------------------------------------------------------------------

import secrets  # noqa: E402

from django.utils import timezone  # noqa: E402

from sessions.enums import Phase, Presence  # noqa: E402
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote  # noqa: E402
from sessions.services import hash_token  # noqa: E402


class LiveSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveSession

    code = factory.Sequence(lambda n: f"T{n:05d}"[-6:].replace("0", "A").replace("1", "C"))
    title = factory.Sequence(lambda n: f"Workshop {n}")
    taxonomy = factory.LazyFunction(default_taxonomy)
    phase = Phase.NEEDS


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A participant; ``token`` (not stored) is the device cookie's secret."""

    class Meta:
        model = Participant

    live_session = factory.SubFactory(LiveSessionFactory)
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(16))
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.token))
    public_id = factory.LazyFunction(lambda: secrets.token_hex(6))
    pseudonym = factory.Sequence(lambda n: f"Brave Otter {n}")
    presence = Presence.IN_ROOM
    agreed_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, token=None, **kwargs):
        participant = super()._create(model_class, *args, **kwargs)
        participant.token = token
        return participant


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Need

    author = factory.SubFactory(ParticipantFactory)
    live_session = factory.SelfAttribute("author.live_session")
    text = factory.Sequence(lambda n: f"Need number {n}: safer visibility for queer creators")


class MappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mapping

    need = factory.SubFactory(NeedFactory)
    live_session = factory.SelfAttribute("need.live_session")
    author = factory.SelfAttribute("need.author")
    strategy = factory.SubFactory(
        StrategyFactory, category__taxonomy=factory.SelfAttribute("...live_session.taxonomy")
    )


class VoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vote

    participant = factory.SubFactory(ParticipantFactory)
    live_session = factory.SelfAttribute("participant.live_session")
    dots = 1


class GapNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GapNote

    author = factory.SubFactory(ParticipantFactory)
    live_session = factory.SelfAttribute("author.live_session")
    strategy = factory.SubFactory(StrategyFactory)
    kind = "safety"
    text = "Nothing here addresses safety for trans creators."
