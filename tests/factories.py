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
from sessions.identity import hash_token  # noqa: E402
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote  # noqa: E402


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


def build_taxonomy(item_count: int) -> dict:
    """A default taxonomy that grows with item_count: item_count categories of item_count
    strategies each (approaches alternating), item_count sub-strategies under the first
    strategy, item_count cases and item_count references cited by every strategy of the first
    category and by every case. For query-count tests: pages must not grow with it."""
    approaches = list(Approach)
    references = [ReferenceFactory() for _ in range(item_count)]
    categories = [CategoryFactory() for _ in range(item_count)]
    strategies = [
        StrategyFactory(
            category=category,
            approach=approaches[index % len(approaches)],
            references=references if category == categories[0] else [],
        )
        for category in categories
        for index in range(item_count)
    ]
    first = strategies[0]
    children = [
        StrategyFactory(category=first.category, parent=first, references=references)
        for _ in range(item_count)
    ]
    cases = [
        CaseFactory(strategies=[*strategies[:item_count], *children], references=references)
        for _ in range(item_count)
    ]
    return {
        "categories": categories,
        "strategies": strategies,
        "children": children,
        "cases": cases,
        "references": references,
    }


def workshop_sample() -> dict:
    """A small, realistic default taxonomy after the workshop's: four categories, strategies
    of each approach (one with sub-strategies), two cases and references of every kind with
    their real bibliographic details. Returned by slug/number for tests to pick from."""
    taxonomy = TaxonomyFactory(
        slug="default",
        title="Taxonomy of Collective Action in Algorithmic Systems",
        description="Ways in which people resist algorithmic harm, by the goal they share.",
        is_default=True,
    )
    categories = {
        slug: CategoryFactory(taxonomy=taxonomy, slug=slug, name=name, goal=goal, position=index)
        for index, (slug, name, goal) in enumerate(
            [
                ("auditing", "Auditing, Challenging, and Contesting", "Making harms visible"),
                ("opt-out", "Algorithmic Opt-Out", "Preventing data misuse"),
                ("intervention", "Collective Intervention", "Changing algorithmic behaviour"),
                (
                    "recourse",
                    "Decision Modification and Recommendation",
                    "Getting a better outcome",
                ),
            ]
        )
    }
    references = {
        reference.number: reference
        for reference in [
            ReferenceFactory(
                taxonomy=taxonomy,
                number=2,
                key="aivodji2020model",
                kind=ReferenceKind.PREPRINT,
                authors=["U. Aïvodji", "A. Bolot", "S. Gambs"],
                year=2020,
                title="Model extraction from counterfactual explanations",
                venue="",
                doi="10.48550/arXiv.2009.01884",
            ),
            ReferenceFactory(
                taxonomy=taxonomy,
                number=4,
                key="chowdhury2021cropping",
                kind=ReferenceKind.WEBPAGE,
                authors=["R. Chowdhury"],
                year=2021,
                title="Sharing learnings about our image cropping algorithm",
                venue="",
                doi="",
                url="https://blog.x.com/engineering/en_us/topics/insights/2021/"
                "sharing-learnings-about-our-image-cropping-algorithm",
            ),
            ReferenceFactory(
                taxonomy=taxonomy,
                number=8,
                key="hardt2023algorithmic",
                kind=ReferenceKind.INPROCEEDINGS,
                authors=[
                    "Moritz Hardt",
                    "Eric Mazumdar",
                    "Celestine Mendler-Dünner",
                    "Tijana Zrnic",
                ],
                year=2023,
                title="Algorithmic collective action in machine learning",
                venue="International conference on machine learning",
                pages="12570–12586",
                publisher="PMLR",
                doi="",
            ),
            ReferenceFactory(
                taxonomy=taxonomy,
                number=12,
                key="karimi2023survey",
                authors=["A.-H. Karimi", "G. Barthe", "B. Schölkopf", "I. Valera"],
                year=2023,
                title="A survey of algorithmic recourse: Contrastive explanations and "
                "consequential recommendations",
                venue="ACM Computing Surveys",
                volume="55",
                issue="5",
                pages="1–29",
                doi="10.1145/3527848",
            ),
            ReferenceFactory(
                taxonomy=taxonomy,
                number=13,
                key="karizat2021folk",
                authors=["N. Karizat", "D. Delmonaco", "M. Eslami", "N. Andalibi"],
                year=2021,
                title="Algorithmic folk theories and identity: How TikTok users co-produce "
                "knowledge of identity and engage in algorithmic resistance",
                venue="Proceedings of the ACM on Human-Computer Interaction",
                volume="5",
                issue="CSCW2",
                pages="305:1–305:44",
                doi="10.1145/3476046",
            ),
            ReferenceFactory(
                taxonomy=taxonomy,
                number=26,
                key="eeoc2024mobley",
                kind=ReferenceKind.LEGAL,
                authors=["U.S. Equal Employment Opportunity Commission"],
                year=2024,
                title="Mobley v. Workday, inc.",
                venue="",
                doi="",
                url="https://www.eeoc.gov/litigation/briefs/mobley-v-workday-inc",
            ),
            ReferenceFactory(
                taxonomy=taxonomy,
                number=27,
                key="vincent2021data",
                kind=ReferenceKind.INPROCEEDINGS,
                authors=["N. Vincent", "H. Li", "N. Tilly", "S. Chancellor", "B. Hecht"],
                year=2021,
                title="Data leverage: A framework for empowering the public in its "
                "relationship with technology companies",
                venue="Proceedings of the 2021 ACM conference on fairness, accountability, "
                "and transparency",
                pages="215–227",
                doi="10.1145/3442188.3445885",
            ),
        ]
    }

    def strategy(category, slug, name, approach, summary, refs=(), parent=None):
        return StrategyFactory(
            category=categories[category],
            slug=slug,
            name=name,
            approach=approach,
            summary=summary,
            description=f"{summary} Described in the project's own words for the tests.",
            parent=parent,
            references=[references[number] for number in refs],
        )

    strategies = {}
    for args in [
        (
            "auditing",
            "folk-theorisation",
            "Folk theorisation",
            Approach.PLATFORM,
            "Users build shared theories of how a recommender treats their identity.",
            [13],
        ),
        (
            "auditing",
            "everyday-auditing",
            "Everyday algorithmic auditing",
            Approach.PLATFORM,
            "Users notice and document harmful behaviour while using a platform.",
            [4],
        ),
        (
            "auditing",
            "legal-contestation",
            "Legal contestation",
            Approach.LEGAL_ORGANISING,
            "Challenging algorithmic discrimination in court.",
            [26],
        ),
        (
            "opt-out",
            "data-leverage",
            "Data leverage",
            Approach.PLATFORM,
            "Using a system's dependence on people's data as a lever.",
            [27],
        ),
        (
            "intervention",
            "algorithmic-collective-action",
            "Algorithmic collective action",
            Approach.MODEL,
            "Coordinated changes to data that steer what a model learns.",
            [8],
        ),
        (
            "recourse",
            "algorithmic-recourse",
            "Algorithmic recourse",
            Approach.MODEL,
            "Actionable recommendations for changing an unfavourable decision.",
            [12],
        ),
        (
            "recourse",
            "model-extraction",
            "Model extraction",
            Approach.MODEL,
            "Reconstructing an approximate copy of a deployed model.",
            [2],
        ),
    ]:
        strategies[args[1]] = strategy(*args)
    for slug, name, approach in [
        ("data-strikes", "Data strikes", Approach.PLATFORM),
        ("data-poisoning", "Data poisoning", Approach.MODEL),
    ]:
        strategies[slug] = strategy(
            "opt-out",
            slug,
            name,
            approach,
            f"{name}, a lever of data leverage.",
            [27],
            parent=strategies["data-leverage"],
        )
    strategies["algorithmic-recourse"].related.add(strategies["model-extraction"])

    cases = {
        "twitter-image-cropping": CaseFactory(
            taxonomy=taxonomy,
            slug="twitter-image-cropping",
            name="Twitter image cropping",
            year=2020,
            community="Black Twitter users",
            platform="Twitter",
            summary="Users shared evidence of a biased cropping algorithm until it was dropped.",
            strategies=[strategies["everyday-auditing"]],
            references=[references[4]],
        ),
        "decline-now": CaseFactory(
            taxonomy=taxonomy,
            slug="decline-now",
            name="Decline Now",
            year=2021,
            community="DoorDash drivers",
            platform="DoorDash",
            summary="Drivers declined low-paying orders together to raise future offers.",
            strategies=[strategies["algorithmic-collective-action"]],
        ),
    }
    return {
        "taxonomy": taxonomy,
        "categories": categories,
        "strategies": strategies,
        "cases": cases,
        "references": references,
    }
