"""The evidence across workshops: an organiser publishes a finished session's counts (after a
preview), the public taxonomy site and its open data change, a line with fewer than five people
behind it is withheld and says so (never a zero), only people who contributed count, nothing
identifying is ever published, and unpublishing removes the session's contribution at once.

Most tests here are about what the pages and the open data say, so they set the privacy noise
aside (``no_noise``: every noisy figure is its exact one); the noise itself, the contribution
bounds, the budget and the subtraction of two releases are tested in test_evidence_privacy.py."""

import csv
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sessions import services
from sessions.enums import Phase
from sessions.models import GapNote, LiveSession, Need, Participant
from taxonomy import privacy
from taxonomy.enums import Approach
from taxonomy.models import PublishedWorkshop
from tests.factories import (
    CategoryFactory,
    GapNoteFactory,
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
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "evidence-schema.json").read_text()
)


@pytest.fixture
def no_noise(monkeypatch):
    """Every release publishes its exact (bounded) figures: what the pages say about them is
    then known in advance. Never outside tests."""
    monkeypatch.setattr(privacy, "noisy", lambda family, figures: list(figures))


@pytest.fixture
def taxonomy():
    taxonomy = TaxonomyFactory(
        slug="default", is_default=True, community="trans", community_name="trans creators"
    )
    about = ReferenceFactory(taxonomy=taxonomy, number=1, communities=["trans"])
    category = CategoryFactory(taxonomy=taxonomy)
    StrategyFactory(
        category=category, slug="folk", name="Folk", approach=Approach.PLATFORM, references=[about]
    )
    StrategyFactory(category=category, slug="poison", name="Poison", approach=Approach.MODEL)
    StrategyFactory(category=category, slug="recourse", name="Recourse", approach=Approach.MODEL)
    return taxonomy


def workshop(taxonomy, code, *, poison_by=6, recourse_by=2):
    """A session at wrap-up: ``poison_by`` people each map a need onto Poison (one dot each
    on another's mapping), ``recourse_by`` people onto Recourse, one gap note on Folk."""
    session = LiveSessionFactory(code=code, taxonomy=taxonomy, phase=Phase.WRAPUP)
    people = ParticipantFactory.create_batch(max(poison_by, recourse_by), live_session=session)
    strategies = {s.slug: s for s in taxonomy.strategies.all()}
    mappings = [
        MappingFactory(
            need=NeedFactory(author=person, live_session=session, text=f"Private need {code}{i}"),
            author=person,
            strategy=strategies["poison"],
        )
        for i, person in enumerate(people[:poison_by])
    ]
    for person, mapping in zip(people[:poison_by], mappings[1:] + mappings[:1], strict=True):
        VoteFactory(participant=person, mapping=mapping)
    for i, person in enumerate(people[:recourse_by]):
        MappingFactory(
            need=NeedFactory(author=person, live_session=session, text=f"Secret need {code}{i}"),
            author=person,
            strategy=strategies["recourse"],
        )
    GapNoteFactory(author=people[0], strategy=strategies["folk"], text=f"Hidden gap {code}")
    return session


def lines(document):
    return {row["slug"]: row for row in document["strategies"]}


def test_publishing_adds_the_counts_and_withholds_what_too_few_people_are_behind(
    client, taxonomy, facilitator, no_noise
):
    session = workshop(taxonomy, "AAAAAA")

    services.publish_evidence(live_session=session, actor=facilitator)
    document = client.get(reverse("taxonomy:evidence_json")).json()

    jsonschema.validate(document, SCHEMA)
    poison, recourse, folk = (lines(document)[slug] for slug in ("poison", "recourse", "folk"))
    assert (poison["needs_mapped"], poison["dots"], poison["participants"]) == (6, 6, 6)
    assert poison["workshops"] == 1 and poison["research_on_community"] is False
    # Two people mapped onto Recourse, one noted the gap on Folk: under five, withheld, and
    # said to be (never a zero).
    assert (recourse["status"], recourse["workshops"]) == ("withheld", 1)
    assert recourse["note"] == "fewer than five people: not shown"
    assert (recourse["needs_mapped"], recourse["demand_share_percent"]) == (None, None)
    assert (folk["status"], folk["gap_notes"], folk["research_on_community"]) == (
        "withheld",
        None,
        True,
    )
    model = next(row for row in document["approaches"] if row["approach"] == "model")
    platform = next(row for row in document["approaches"] if row["approach"] == "platform")
    # An approach is shown when one of its strategies is; its count of people is not measured.
    assert (model["status"], model["participants"], model["needs_mapped"]) == ("shown", None, 8)
    assert platform["status"] == "withheld"
    assert document["workshops"] == [
        {
            "title": session.title,
            # The workshop's own day, in the app's time zone (not UTC's, a day ahead at night)
            "held_on": timezone.localdate(session.created).isoformat(),
            "participants": 6,
            "epsilon_spent": 2.0,
        }
    ]
    assert document["privacy"]["epsilon_per_release"] == 2.0


def test_the_pages_say_where_a_figure_is_withheld(client, taxonomy, facilitator, no_noise):
    services.publish_evidence(live_session=workshop(taxonomy, "AAAAAA"), actor=facilitator)

    page = client.get(reverse("taxonomy:evidence")).text
    strategy_page = client.get(reverse("taxonomy:strategy", args=["recourse"])).text
    shown_page = client.get(reverse("taxonomy:strategy", args=["poison"])).text

    assert "1 workshop, 6 participants" in page
    assert "Asked for, and the research on trans creators is silent" in page
    assert "How to read these figures" in page and "ε = 2 per publication" in page
    assert "Fewer than five people: not shown." in strategy_page
    assert "6 needs mapped onto it, 6 dots" in shown_page
    assert "random noise" in shown_page


def test_several_workshops_add_up(client, taxonomy, facilitator, no_noise):
    for code, people in (("AAAAAA", 6), ("BBBBBB", 5)):
        services.publish_evidence(
            live_session=workshop(taxonomy, code, poison_by=people), actor=facilitator
        )

    poison = lines(client.get(reverse("taxonomy:evidence_json")).json())["poison"]
    rows = list(csv.reader(io.StringIO(client.get(reverse("taxonomy:evidence_csv")).text)))

    assert (poison["workshops"], poison["participants"], poison["needs_mapped"]) == (2, 11, 11)
    assert rows[0][0] == "\ufeffstrategy"
    assert rows[2][:10] == [
        *("poison", "Poison", "model", "false", "shown"),
        *("2", "11", "11", "11", "0"),
    ]


def test_the_floor_applies_to_what_is_shown_the_totals(client, taxonomy, facilitator, no_noise):
    """Two people on Recourse in each of three workshops: withheld in any one of them, shown
    once six people are behind the total."""
    for number, code in enumerate(("AAAAAA", "BBBBBB", "CCCCCC")):
        services.publish_evidence(live_session=workshop(taxonomy, code), actor=facilitator)
        recourse = lines(client.get(reverse("taxonomy:evidence_json")).json())["recourse"]
        assert recourse["status"] == ("withheld" if number < 2 else "shown")

    rows = list(csv.reader(io.StringIO(client.get(reverse("taxonomy:evidence_csv")).text)))
    assert (recourse["participants"], recourse["needs_mapped"]) == (6, 6)
    assert rows[3][4:] == ["shown", "3", "6", "6", "0", "0", "14", ""]


def test_unpublishing_removes_the_contribution_at_once(client, taxonomy, facilitator, no_noise):
    session = workshop(taxonomy, "AAAAAA")
    services.publish_evidence(live_session=session, actor=facilitator)

    assert services.unpublish_evidence(live_session=session, actor=facilitator)
    document = client.get(reverse("taxonomy:evidence_json")).json()

    assert document["workshops"] == []
    assert lines(document)["poison"]["status"] == "none"
    assert lines(document)["poison"]["needs_mapped"] is None
    assert (
        "No workshop has published its results yet" in client.get(reverse("taxonomy:evidence")).text
    )


def test_publishing_again_replaces_the_earlier_counts(client, taxonomy, facilitator, no_noise):
    session = workshop(taxonomy, "AAAAAA")
    services.publish_evidence(live_session=session, actor=facilitator)
    Need.objects.filter(live_session=session).first().delete()

    services.publish_evidence(live_session=session, actor=facilitator)

    assert PublishedWorkshop.objects.count() == 1
    assert (
        lines(client.get(reverse("taxonomy:evidence_json")).json())["poison"]["needs_mapped"] == 5
    )


def test_nothing_identifying_is_ever_published(client, taxonomy, facilitator):
    session = workshop(taxonomy, "AAAAAA")
    Participant.objects.filter(live_session=session).update(display_name="Alex Tremblay")
    services.publish_evidence(live_session=session, actor=facilitator)

    published = "".join(
        client.get(url).content.decode()
        for url in (
            reverse("taxonomy:evidence"),
            reverse("taxonomy:evidence_json"),
            reverse("taxonomy:evidence_csv"),
            reverse("taxonomy:strategy", args=["poison"]),
        )
    )

    people = Participant.objects.filter(live_session=session)
    secrets = [p.pseudonym for p in people] + ["Alex Tremblay", session.code]
    secrets += list(Need.objects.values_list("text", flat=True))
    secrets += list(GapNote.objects.values_list("text", flat=True))
    assert [secret for secret in secrets if secret in published] == []


def test_only_a_finished_session_of_enough_people_is_published(taxonomy, facilitator):
    early = workshop(taxonomy, "AAAAAA")
    LiveSession.objects.filter(pk=early.pk).update(phase=Phase.VOTING)
    early.refresh_from_db()
    small = workshop(taxonomy, "BBBBBB", poison_by=4, recourse_by=1)
    purged = workshop(taxonomy, "CCCCCC")
    services.purge_contributions(live_session=purged, actor=facilitator)

    with pytest.raises(services.PhaseClosed, match="wrap-up"):
        services.publish_evidence(live_session=early, actor=facilitator)
    with pytest.raises(services.InvalidInput, match="At least 5 people who contributed"):
        services.publish_evidence(live_session=small, actor=facilitator)
    with pytest.raises(services.PhaseClosed, match="purged"):
        services.publish_evidence(live_session=purged, actor=facilitator)
    assert not PublishedWorkshop.objects.exists()


def test_the_organiser_previews_then_publishes_from_the_dashboard(
    client, taxonomy, facilitator, no_noise
):
    session = workshop(taxonomy, "AAAAAA")
    session.facilitators.add(facilitator)
    client.force_login(facilitator)
    url = reverse("sessions:evidence", args=[session.code])

    preview = client.get(url).text
    client.post(url, {"action": "publish"})
    published = client.get(url).text
    client.post(url, {"action": "unpublish"})

    assert "What would be published" in preview
    assert "fewer than five people: not shown" in preview
    assert "ε 0 of 4 spent" in preview and "2 more publications possible" in preview
    assert "Private need" not in preview  # the preview shows only counts too
    assert "Publish again" in published and "Take it back" in published
    assert "What was published" in published and "1 more publication possible" in published
    # The date reads as a date, not "5:23 p.m.." with the sentence's own full stop doubled.
    assert re.search(r"Published on \d{1,2} \w+ \d{4}, \d{2}:\d{2}\. Publishing again", published)
    assert not PublishedWorkshop.objects.exists()


def test_only_the_sessions_facilitators_publish(client, taxonomy, facilitator):
    session = workshop(taxonomy, "AAAAAA")  # the facilitator does not run this one
    client.force_login(facilitator)

    response = client.post(reverse("sessions:evidence", args=[session.code]), {"action": "publish"})

    assert response.status_code == 403
    assert not PublishedWorkshop.objects.exists()


def test_a_management_command_publishes_and_unpublishes(taxonomy, no_noise):
    workshop(taxonomy, "AAAAAA")
    out = io.StringIO()

    call_command("publish_evidence", "aaaaaa", stdout=out)
    assert PublishedWorkshop.objects.count() == 1
    call_command("publish_evidence", "AAAAAA", "--unpublish", stdout=out)

    assert not PublishedWorkshop.objects.exists()
    assert "6 participants (noisy)" in out.getvalue()
    assert "ε 2 of 4 spent, 1 more publication(s)" in out.getvalue()
    assert "Taken back." in out.getvalue()


def test_joining_alone_counts_for_nothing(taxonomy, facilitator, no_noise):
    """A script that joins without contributing neither makes a session publishable nor
    counts in its published figures: only people who mapped, voted on a mapping or noted a
    gap are counted."""
    session = workshop(taxonomy, "AAAAAA", poison_by=4, recourse_by=1)
    ParticipantFactory.create_batch(40, live_session=session)  # joined, did nothing

    with pytest.raises(services.InvalidInput, match="At least 5 people who contributed"):
        services.publish_evidence(live_session=session, actor=facilitator)
    assert not PublishedWorkshop.objects.exists()

    more = workshop(taxonomy, "BBBBBB", poison_by=6, recourse_by=2)
    ParticipantFactory.create_batch(40, live_session=more)
    published = services.publish_evidence(live_session=more, actor=facilitator)

    assert published.participants == 6


def spread_workshop(taxonomy, code, *, joined=34):
    """A session of ``joined`` people at wrap-up in which no strategy has five people behind
    it: four map onto Poison, three onto Recourse, two note a gap on Folk."""
    session = LiveSessionFactory(code=code, taxonomy=taxonomy, phase=Phase.WRAPUP)
    people = ParticipantFactory.create_batch(joined, live_session=session)
    strategies = {s.slug: s for s in taxonomy.strategies.all()}
    for person in people[:4]:
        need = NeedFactory(author=person, live_session=session)
        MappingFactory(need=need, author=person, strategy=strategies["poison"])
    for person in people[4:7]:
        need = NeedFactory(author=person, live_session=session)
        MappingFactory(need=need, author=person, strategy=strategies["recourse"])
    for person in people[7:9]:
        GapNoteFactory(author=person, strategy=strategies["folk"])
    return session


def test_where_every_figure_is_withheld_nothing_reads_as_no_demand(
    client, taxonomy, facilitator, no_noise
):
    """A workshop of 34 in which no strategy had five people behind it: every row, approaches
    included, says that it is withheld, on the page, the strategy page, the JSON and the CSV;
    none says 0 %."""
    services.publish_evidence(live_session=spread_workshop(taxonomy, "AAAAAA"), actor=facilitator)

    page = client.get(reverse("taxonomy:evidence")).text
    document = client.get(reverse("taxonomy:evidence_json")).json()
    rows = list(csv.reader(io.StringIO(client.get(reverse("taxonomy:evidence_csv")).text)))
    strategy_page = client.get(reverse("taxonomy:strategy", args=["poison"])).text

    jsonschema.validate(document, SCHEMA)
    rows_of_page = taxonomy.strategies.count() + len(Approach)
    assert "0%" not in page
    assert page.count('<tr class="evidence-withheld">') == rows_of_page
    assert page.count("<em>fewer than five people: not shown</em>") == rows_of_page
    assert "Fewer than five people: not shown." in strategy_page
    for line in document["strategies"] + document["approaches"]:
        assert line["status"] == "withheld", line
        assert line["note"] == "fewer than five people: not shown"
        assert (line["needs_mapped"], line["dots"], line["demand_share_percent"]) == (None,) * 3
    header, *body = rows
    status, share, note = (
        header.index(name) for name in ("status", "demand_share_percent", "note")
    )
    assert [(row[status], row[share], row[note]) for row in body] == [
        ("withheld", "", "fewer than five people: not shown")
    ] * taxonomy.strategies.count()


def test_the_preview_says_what_it_withholds(client, taxonomy, facilitator):
    session = spread_workshop(taxonomy, "AAAAAA")
    session.facilitators.add(facilitator)
    client.force_login(facilitator)

    preview = client.get(reverse("sessions:evidence", args=[session.code])).text

    rows = taxonomy.strategies.count() + len(Approach)
    assert preview.count("<em>fewer than five people: not shown</em>") == rows
    assert "Of the 34 people who joined, 9 contributed" in preview
    assert "Publish these counts" in preview  # nine contributed: publishable, all withheld
