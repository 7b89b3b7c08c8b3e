"""The reveal (sessions/queries/reveal.py) against figures computed by hand.

The fixture: a taxonomy about trans creators with five strategies. Demand is needs mapped plus
the dots on those mappings:

    strategy        approach  research on the community   needs  dots  demand  heat  share
    folk            platform  yes ([1], its own)              2     1       3     2    30%
    auditing        platform  no                              0     0       0     0     0%
    cloaking        model     no                              3     3       6     4    60%
    recourse        model     no (cites [2], not about it)    0     0       0     0     0%
    contest         legal     yes ([1], through a case)       1     0       1     1    10%

Heat is round(demand / 6 * 4): folk 2, cloaking 4, contest 1 (0.67 rounds to 1). Only
cloaking is in high demand (heat 3 or 4), and its research is silent: it is named. By
approach: platform 3 of 10 (30%), research on the community in 1 of 2 strategies (50%); model
6 of 10 (60%), 0 of 2 (0%); legal 1 of 10 (10%), 1 of 1 (100%). A hidden mapping and its dots
count nowhere on the board."""

import pytest
from django.template.loader import render_to_string

from sessions.enums import ContributionStatus
from sessions.queries import stats
from sessions.queries.reveal import reveal
from taxonomy.enums import Approach
from tests.factories import (
    CaseFactory,
    CategoryFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    ReferenceFactory,
    StrategyFactory,
    TaxonomyFactory,
    VoteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def revealed():
    taxonomy = TaxonomyFactory(community="trans-creators", community_name="Trans creators")
    about = ReferenceFactory(taxonomy=taxonomy, number=1, communities=["trans-creators"])
    other = ReferenceFactory(taxonomy=taxonomy, number=2, communities=["gig-workers"])
    category = CategoryFactory(taxonomy=taxonomy)

    def strategy(slug, approach, references=()):
        return StrategyFactory(
            category=category,
            slug=slug,
            name=slug.capitalize(),
            approach=approach,
            references=list(references),
        )

    folk = strategy("folk", Approach.PLATFORM, [about])
    strategy("auditing", Approach.PLATFORM)
    cloaking = strategy("cloaking", Approach.MODEL, [other])
    strategy("recourse", Approach.MODEL, [other])
    contest = strategy("contest", Approach.LEGAL_ORGANISING)
    CaseFactory(taxonomy=taxonomy, strategies=[contest], references=[about])

    session = LiveSessionFactory(taxonomy=taxonomy)
    people = ParticipantFactory.create_batch(3, live_session=session)

    def mapped(target, dots=0):
        need = NeedFactory(author=people[0], live_session=session)
        mapping = MappingFactory(need=need, strategy=target)
        for voter in people[:dots]:
            VoteFactory(participant=voter, mapping=mapping)
        return mapping

    mapped(folk, dots=1)
    mapped(folk)
    for _ in range(3):
        mapped(cloaking, dots=1)
    mapped(contest)
    hidden = mapped(folk, dots=3)
    hidden.status = ContributionStatus.HIDDEN
    hidden.save()
    return session


def test_the_reveal_per_strategy(revealed):
    result = reveal(stats.Visibility(revealed))

    rows = {
        item.strategy.slug: (
            item.demand.needs_mapped,
            item.demand.dots,
            item.heat,
            item.demand_percent,
            [reference.number for reference in item.community_references],
        )
        for item in result.strategies
    }
    assert rows == {
        "folk": (2, 1, 2, 30, [1]),
        "auditing": (0, 0, 0, 0, []),
        "cloaking": (3, 3, 4, 60, []),
        "recourse": (0, 0, 0, 0, []),
        "contest": (1, 0, 1, 10, [1]),
    }
    assert result.total_demand == 10
    assert [item.strategy.slug for item in result.demanded] == ["cloaking", "folk", "contest"]
    assert [item.strategy.slug for item in result.silent_gaps] == ["cloaking"]


def test_the_reveal_per_approach(revealed):
    result = reveal(stats.Visibility(revealed))

    assert [
        (row.approach, row.demand, row.demand_percent, row.strategies, row.attending, row.attention_percent)
        for row in result.approaches
    ] == [
        ("platform", 3, 30, 2, 1, 50),
        ("model", 6, 60, 2, 0, 0),
        ("legal_organising", 1, 10, 1, 1, 100),
    ]  # fmt: skip


def test_a_taxonomy_naming_no_community_names_no_gap(revealed):
    revealed.taxonomy.community = ""
    revealed.taxonomy.save()

    result = reveal(stats.Visibility(revealed))

    assert not result.names_a_community
    assert result.silent_gaps == []
    assert not any(item.attends for item in result.strategies)


def test_the_reveal_costs_the_same_few_queries_however_large_the_session(
    revealed, django_assert_max_num_queries
):
    visibility = stats.Visibility(revealed)
    with django_assert_max_num_queries(8):
        reveal(visibility)


def test_the_report_shows_the_same_reveal_in_html_and_markdown(revealed):
    from sessions.exports.formats import MarkdownReportExporter
    from sessions.exports.report import build_report

    report = build_report(revealed)
    html = render_to_string("sessions/exports/report.html", {"report": report})
    markdown = MarkdownReportExporter(revealed).render()

    assert [item.strategy.slug for item in report.reveal.silent_gaps] == ["cloaking"]
    assert "Where the room's demand meets research on Trans creators" in html
    assert "In high demand, and the research is silent:</strong>" in html
    assert "Cloaking (60% of the demand)" in html
    assert "## Where the room's demand meets research on Trans creators" in markdown
    assert (
        "**In high demand, and the research is silent:** Cloaking (60% of the demand)" in markdown
    )
    for line in (
        "| Platform-based | 30% | 1 of 2 strategies |",
        "| Model-based | 60% | 0 of 2 strategies |",
        "| Legal and organising | 10% | 1 of 1 strategy |",
        "| Folk | Platform-based | 30% | 2 | \\[1\\] |",
        "| Cloaking | Model-based | 60% | 4 | **silent** |",
        "| Recourse | Model-based | 0% | 0 | silent |",
    ):
        assert line in markdown
