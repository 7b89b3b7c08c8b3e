"""Fixtures shared by the tests of sessions/: a small workshop whose every export row is known."""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from sessions.enums import ContributionStatus, Phase, Presence
from taxonomy.enums import Approach, ReferenceKind
from tests.factories import (
    CategoryFactory,
    GapNoteFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    ReferenceFactory,
    StrategyFactory,
    VoteFactory,
    default_taxonomy,
)

HIDDEN = ContributionStatus.HIDDEN
PENDING = ContributionStatus.PENDING


@dataclass
class Workshop:
    """A small session whose every export row is known (see the docstring of ``workshop``)."""

    session: object
    people: dict
    needs: dict
    mappings: dict
    gaps: dict
    strategies: dict
    references: list


@pytest.fixture
def workshop(db) -> Workshop:
    """Three participants (Ada and Sam in the room, Remy remote) and one removed; five needs,
    of which one hidden and one pending; six mappings, of which one hidden and one on the
    hidden need; dots, some of them on hidden things or by the removed participant; three gap
    notes, one hidden. By default the export holds 3 participants, 3 needs, 4 mappings, 5 vote
    rows (9 dots) and 2 gap notes."""
    taxonomy = default_taxonomy()
    harms = CategoryFactory(
        taxonomy=taxonomy, slug="harms", name="Auditing", goal="Making harms visible", position=0
    )
    outcome = CategoryFactory(
        taxonomy=taxonomy, slug="outcome", name="Recourse", goal="A better outcome", position=1
    )
    references = [
        ReferenceFactory(
            taxonomy=taxonomy,
            number=1,
            key="devos2022",
            kind=ReferenceKind.INPROCEEDINGS,
            authors=["Alicia DeVos", "Aditi Dhabalia"],
            year=2022,
            title="Toward User-Driven Algorithm Auditing",
            venue="CHI '22",
            doi="10.1145/3491102.3517441",
        ),
        ReferenceFactory(
            taxonomy=taxonomy,
            number=2,
            key="eeoc2023",
            kind=ReferenceKind.LEGAL,
            authors=["U.S. Equal Employment Opportunity Commission"],
            year=2023,
            title="Data & {Power}: 100% of_users #1 ~ $5",
            venue="",
            doi="",
            url="https://example.org/eeoc",
        ),
        ReferenceFactory(
            taxonomy=taxonomy,
            number=3,
            key="shan2023",
            kind=ReferenceKind.PREPRINT,
            title="Glaze: Protecting Artists",
        ),
    ]
    strategies = {
        "auditing": StrategyFactory(
            category=harms,
            slug="auditing",
            name="Everyday auditing",
            approach=Approach.PLATFORM,
            position=0,
            references=references[:2],
        ),
        "cloaking": StrategyFactory(
            category=harms,
            slug="cloaking",
            name="Cloaking tools",
            approach=Approach.MODEL,
            position=1,
            references=[references[2]],
        ),
        "contest": StrategyFactory(
            category=outcome,
            slug="contest",
            name="Legal contestation",
            approach=Approach.LEGAL_ORGANISING,
            position=0,
        ),
        "migration": StrategyFactory(
            category=outcome,
            slug="migration",
            name="Platform migration",
            approach=Approach.PLATFORM,
            position=1,
        ),
    }
    session = LiveSessionFactory(
        code="K7HQ4P",
        title="Montréal workshop",
        question="What do our communities need?",
        taxonomy=taxonomy,
        phase=Phase.WRAPUP,
    )
    people = {
        "ada": ParticipantFactory(
            live_session=session, display_name="Ada", pseudonym="Quiet Heron"
        ),
        "sam": ParticipantFactory(live_session=session, pseudonym="Bold Finch"),
        "remy": ParticipantFactory(
            live_session=session, pseudonym="Swift Lynx", presence=Presence.REMOTE
        ),
        "gone": ParticipantFactory(
            live_session=session,
            pseudonym="Loud Crow",
            presence=Presence.REMOTE,
            removed_at=timezone.now(),
        ),
    }
    needs = {
        "vanish": NeedFactory(
            author=people["ada"], text="Know why our posts vanish", context="TikTok"
        ),
        "formula": NeedFactory(author=people["remy"], text="=1+2 safer moderation"),
        "hidden": NeedFactory(author=people["sam"], text="A hidden need", status=HIDDEN),
        "leave": NeedFactory(author=people["sam"], text="Leave a platform together"),
        "pending": NeedFactory(author=people["remy"], text="A pending need", status=PENDING),
        "troll": NeedFactory(author=people["gone"], text="Written by someone removed"),
    }
    mappings = {
        "vanish-auditing": MappingFactory(
            need=needs["vanish"], author=people["ada"], strategy=strategies["auditing"]
        ),
        "vanish-cloaking": MappingFactory(
            need=needs["vanish"], author=people["sam"], strategy=strategies["cloaking"]
        ),
        "formula-auditing": MappingFactory(
            need=needs["formula"],
            author=people["remy"],
            strategy=strategies["auditing"],
            reason="-because",
        ),
        "leave-contest": MappingFactory(
            need=needs["leave"], author=people["sam"], strategy=strategies["contest"]
        ),
        "hidden-auditing": MappingFactory(
            need=needs["hidden"], author=people["ada"], strategy=strategies["auditing"]
        ),
        "leave-cloaking": MappingFactory(
            need=needs["leave"],
            author=people["sam"],
            strategy=strategies["cloaking"],
            status=HIDDEN,
        ),
    }
    VoteFactory(participant=people["ada"], need=needs["formula"], dots=2)
    VoteFactory(participant=people["sam"], need=needs["vanish"], dots=1)
    VoteFactory(participant=people["remy"], need=needs["vanish"], dots=3)
    VoteFactory(participant=people["sam"], mapping=mappings["vanish-auditing"], dots=2)
    VoteFactory(participant=people["remy"], mapping=mappings["formula-auditing"], dots=1)
    VoteFactory(participant=people["ada"], need=needs["hidden"], dots=1)
    VoteFactory(participant=people["gone"], need=needs["vanish"], dots=1)
    gaps = {
        "safety": GapNoteFactory(
            author=people["remy"],
            strategy=strategies["cloaking"],
            kind="safety",
            text="Nothing on safety for trans artists",
        ),
        "awareness": GapNoteFactory(
            author=people["ada"],
            strategy=strategies["auditing"],
            mapping=mappings["vanish-auditing"],
            kind="awareness",
            text="Nobody knows these audits exist",
        ),
        "hidden": GapNoteFactory(
            author=people["sam"],
            strategy=strategies["contest"],
            kind="other",
            text="A hidden gap",
            status=HIDDEN,
        ),
    }
    return Workshop(session, people, needs, mappings, gaps, strategies, references)
