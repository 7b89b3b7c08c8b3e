"""The board, the facilitator dashboard and the report read the same statistics
(sessions/queries/stats.py): for one session whose every number is worked out by hand below, they show
the same numbers, and only an export that asks for hidden content counts it."""

import pytest

from sessions import queries, services
from sessions.enums import ContributionStatus, Presence
from sessions.exports.report import build_report
from sessions.exports.scope import ExportOptions
from sessions.models import Need
from taxonomy.enums import Approach
from tests import factories

pytestmark = pytest.mark.django_db

HIDDEN = ContributionStatus.HIDDEN
VISIBLE = ContributionStatus.VISIBLE
PENDING = ContributionStatus.PENDING


@pytest.fixture
def session(db):
    """Two categories: "harms" with platform and model, "outcome" with legal and empty (a
    platform strategy nobody maps onto). Ada and Sam in the room, Remy remote, and Gil (remote)
    removed by a facilitator after posting a need and a dot.

    Shown (board, report by default): needs vanish (Ada) and trust (Remy); mappings
    vanish→platform (1 + 3 dots), vanish→model (0), trust→platform (2); a dot-vote of 2 on the
    need trust; gap notes on model (Remy, safety) and on the mapping vanish→platform (Ada,
    awareness). Per strategy: platform 2 needs, 6 dots, 1 gap; model 1, 0, 1; legal and empty
    nothing. Heat: platform 4 (8 of 8), model 1 (1 of 8 rounds to 0; any demand is at least 1).

    Hidden: the need secret (Sam, hidden) with its visible mapping onto legal, 2 dots on that
    mapping and a gap note on it; a pending need; a hidden mapping trust→legal with 1 dot; a
    hidden gap note on empty; Sam's dot on the hidden need; Gil and his need (hidden when he
    was removed; his dot went with him)."""
    taxonomy = factories.TaxonomyFactory(slug="stats")
    harms = factories.CategoryFactory(taxonomy=taxonomy, slug="harms", position=0)
    outcome = factories.CategoryFactory(taxonomy=taxonomy, slug="outcome", position=1)
    strategies = {
        "platform": factories.StrategyFactory(
            category=harms, slug="platform", approach=Approach.PLATFORM, position=0
        ),
        "model": factories.StrategyFactory(
            category=harms, slug="model", approach=Approach.MODEL, position=1
        ),
        "legal": factories.StrategyFactory(
            category=outcome, slug="legal", approach=Approach.LEGAL_ORGANISING, position=0
        ),
        "empty": factories.StrategyFactory(
            category=outcome, slug="empty", approach=Approach.PLATFORM, position=1
        ),
    }
    live_session = factories.LiveSessionFactory(taxonomy=taxonomy)
    ada = factories.ParticipantFactory(live_session=live_session)
    sam = factories.ParticipantFactory(live_session=live_session)
    remy = factories.ParticipantFactory(live_session=live_session, presence=Presence.REMOTE)
    gil = factories.ParticipantFactory(live_session=live_session, presence=Presence.REMOTE)
    vanish = factories.NeedFactory(author=ada, text="Know why our posts vanish")
    trust = factories.NeedFactory(author=remy, text="Moderation we can trust")
    secret = factories.NeedFactory(author=sam, text="A hidden need", status=HIDDEN)
    factories.NeedFactory(author=remy, text="A pending need", status=PENDING)
    on_platform = factories.MappingFactory(need=vanish, author=ada, strategy=strategies["platform"])
    factories.MappingFactory(need=vanish, author=sam, strategy=strategies["model"])
    trusted = factories.MappingFactory(need=trust, author=remy, strategy=strategies["platform"])
    of_secret = factories.MappingFactory(need=secret, author=sam, strategy=strategies["legal"])
    hidden_mapping = factories.MappingFactory(
        need=trust, author=ada, strategy=strategies["legal"], status=HIDDEN
    )
    factories.VoteFactory(participant=sam, mapping=on_platform, dots=1)
    factories.VoteFactory(participant=remy, mapping=on_platform, dots=3)
    factories.VoteFactory(participant=ada, mapping=trusted, dots=2)
    factories.VoteFactory(participant=ada, need=trust, dots=2)
    factories.VoteFactory(participant=remy, mapping=of_secret, dots=2)
    factories.VoteFactory(participant=sam, mapping=hidden_mapping, dots=1)
    factories.VoteFactory(participant=sam, need=secret, dots=1)
    gap_notes = [
        (remy, "model", None, "safety", "No safety work", VISIBLE),
        (ada, "platform", on_platform, "awareness", "Nobody knows these audits exist", VISIBLE),
        (sam, "legal", of_secret, "other", "On the hidden need's mapping", VISIBLE),
        (ada, "empty", None, "no_research", "Hidden", HIDDEN),
    ]
    for author, slug, mapping, kind, text, status in gap_notes:
        factories.GapNoteFactory(
            author=author,
            strategy=strategies[slug],
            mapping=mapping,
            kind=kind,
            text=text,
            status=status,
        )
    gone = factories.NeedFactory(author=gil, text="Written before being removed")
    factories.VoteFactory(participant=gil, need=vanish, dots=1)
    services.remove_participant(actor=None, participant=gil)
    assert Need.objects.get(pk=gone.pk).status == HIDDEN
    return live_session


# (needs mapped, dots, gap notes, heat) by strategy
SHOWN = {
    "platform": (2, 6, 1, 4),
    "model": (1, 0, 1, 1),
    "legal": (0, 0, 0, 0),
    "empty": (0, 0, 0, 0),
}
# (approach, needs mapped, share of mappings, dots, share of dots)
SHOWN_SPLIT = [
    ("platform", 2, 67, 6, 100),
    ("model", 1, 33, 0, 0),
    ("legal_organising", 0, 0, 0, 0),
]


def demand_by_slug(rows) -> dict:
    """(needs mapped, dots, gap notes, heat) by strategy slug, from board or report rows."""
    return {
        cell.strategy.slug: (
            cell.demand.needs_mapped,
            cell.demand.dots,
            cell.demand.gap_notes,
            cell.heat,
        )
        for row in rows
        for cell in row.cells
    }


def split_numbers(split) -> list[tuple]:
    return [
        (part.approach, part.needs_mapped, part.mapping_percent, part.dots, part.dot_percent)
        for part in split
    ]


def test_board_grid_and_report_heat_map_show_the_same_demand(session):
    assert demand_by_slug(queries.grid(session)) == SHOWN
    assert demand_by_slug(build_report(session).heat_rows) == SHOWN


def test_board_split_and_report_split_show_the_same_shares(session):
    assert split_numbers(queries.approach_split(session)) == SHOWN_SPLIT
    assert split_numbers(build_report(session).approach_split) == SHOWN_SPLIT


def test_board_cells_list_their_most_voted_needs(session):
    cells = {
        cell.strategy.slug: cell.demand.top_needs
        for row in queries.grid(session)
        for cell in row.cells
    }

    assert cells == {
        "platform": ["Know why our posts vanish", "Moderation we can trust"],
        "model": ["Know why our posts vanish"],
        "legal": [],
        "empty": [],
    }


def test_board_gaps_and_report_gaps_leave_out_notes_on_hidden_needs(session):
    expected = [
        ("awareness", ["Nobody knows these audits exist"]),
        ("safety", ["No safety work"]),
    ]

    assert [(g.kind, [n.text for n in g.notes]) for g in queries.gap_notes(session)] == expected
    report = build_report(session)
    assert [(g.kind, [n.text for n in g.notes]) for g in report.gap_groups] == expected


def test_dashboard_balance_and_report_presence_split_agree(session):
    balance = queries.hybrid_balance(session)
    presence = {row.key: row for row in build_report(session).presence_split}

    # (in the room, remote): people 2/1, needs vanish/trust, dots 1+2+2 / 3, gap notes 1/1
    assert {key: (row.in_room, row.remote) for key, row in presence.items()} == {
        "participants": (2, 1),
        "needs": (1, 1),
        "dots": (5, 3),
        "gap_notes": (1, 1),
    }
    shown_on_dashboard = {
        name: (balance[name]["remote"], balance[name]["total"], balance[name]["share"])
        for name in ("participants", "needs", "dots", "gaps")
    }
    assert shown_on_dashboard == {
        "participants": (1, 3, 33),
        "needs": (1, 2, 50),
        "dots": (3, 8, 38),
        "gaps": (1, 2, 50),
    }
    assert [row.remote_percent for row in presence.values()] == [33, 50, 38, 50]


def test_dashboard_activity_counts_what_the_report_counts(session):
    activity = queries.activity(session)
    counts = build_report(session).counts

    assert {name: activity[name] for name in ("needs", "mappings", "dots", "gaps")} == {
        "needs": 2,
        "mappings": 3,
        "dots": 8,
        "gaps": 2,
    }
    assert {name: counts[name] for name in ("needs", "mappings", "dots", "gap_notes")} == {
        "needs": 2,
        "mappings": 3,
        "dots": 8,
        "gap_notes": 2,
    }
    assert queries.participant_counts(session) == {"total": 3, "in_room": 2, "remote": 1}
    assert (counts["participants"], counts["in_room"], counts["remote"]) == (3, 2, 1)


def test_an_export_with_hidden_content_counts_it_and_the_board_does_not(session):
    report = build_report(session, ExportOptions(include_hidden=True))

    # legal: secret's mapping (2 dots, a gap note) and the hidden mapping (1 dot): 2 + 3 = 5
    # of a top of 8 is 2.5, which rounds to 2; empty: a hidden gap note, no demand.
    assert demand_by_slug(report.heat_rows) == {
        "platform": (2, 6, 1, 4),
        "model": (1, 0, 1, 1),
        "legal": (2, 3, 1, 2),
        "empty": (0, 0, 1, 0),
    }
    assert split_numbers(report.approach_split) == [
        ("platform", 2, 40, 6, 67),
        ("model", 1, 20, 0, 0),
        ("legal_organising", 2, 40, 3, 33),
    ]
    assert report.counts == {
        "participants": 4,
        "in_room": 2,
        "remote": 2,
        "needs": 5,
        "mappings": 5,
        "votes": 7,
        "dots": 12,
        "gap_notes": 4,
    }
    assert demand_by_slug(queries.grid(session)) == SHOWN
    assert split_numbers(queries.approach_split(session)) == SHOWN_SPLIT


@pytest.mark.parametrize("extra_needs", [0, 20])
def test_grid_and_split_cost_the_same_few_queries_however_large_the_session(
    session, django_assert_num_queries, extra_needs
):
    """Both are read again on every vote on a mapping: the strategies, their mappings with
    dots and their gap notes; the mappings and the dots by approach."""
    author = factories.ParticipantFactory(live_session=session)
    strategy = session.taxonomy.strategies.get(slug="model")
    for _ in range(extra_needs):
        factories.VoteFactory(
            participant=author,
            mapping=factories.MappingFactory(
                need=factories.NeedFactory(author=author), strategy=strategy
            ),
        )

    with django_assert_num_queries(3):
        queries.grid(session)
    with django_assert_num_queries(2):
        queries.approach_split(session)


def test_a_removed_participants_need_shown_again_counts_on_the_board_not_in_an_export(session):
    # Removing Gil hid his need; a facilitator showing it again puts it back on the board,
    # while an export still leaves out everything by a removed participant.
    gone = Need.objects.get(text="Written before being removed")
    services.moderate(actor=None, contribution=gone, status=VISIBLE)

    assert queries.activity(session)["needs"] == 3
    assert build_report(session).counts["needs"] == 2
