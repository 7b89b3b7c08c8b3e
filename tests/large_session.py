"""A large session on the bundled taxonomy, for the board's screens: 40 participants (a third
remote), 100 needs, 60 mappings, 300 dots and 20 gap notes, with texts of every length a room
writes. Deterministic, so that screenshots compare."""

import random

from sessions.enums import GapKind, Phase, Presence
from sessions.models import LiveSession
from taxonomy.datafile import BUNDLED_TAXONOMY_FILE
from taxonomy.loading import load_taxonomy
from taxonomy.models import Strategy
from tests.factories import (
    GapNoteFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    VoteFactory,
)

PEOPLE, NEEDS, MAPPINGS, DOTS, GAP_NOTES = 40, 100, 60, 300, 20

_NEEDS = [
    "Know why our posts disappear",
    "Safer visibility for trans creators without being outed",
    "Appeals that a person reads, in our own words, within a week",
    "Captions on every video",
    "A way to leave a platform and take our community with us",
    "Shadowbans explained: when, why and for how long",
    "Recommendation feeds that do not push hate at queer teenagers",
    "Moderation that understands reclaimed words",
    "Data we can delete, really delete, from training sets",
    "Tools that work on old phones and slow connections",
    "Know which of our photos trained a face recognition model",
    "Dating apps that do not leak our location",
    "Hiring software that does not filter out a name change",
]
_CONTEXTS = ["TikTok", "Instagram", "YouTube", "dating apps", "trans youth", "", "", "Montréal"]
_GAPS = [
    "No study asks trans users what they need from recourse.",
    "Cloaking tools assume people can afford a powerful computer.",
    "Nothing on how collective action protects people who cannot be public.",
    "Research tests with English only.",
    "Who is safe enough to take part in a data strike?",
]


def large_session(*, code: str = "K7HQ4P", phase: str = Phase.NEEDS, **fields) -> LiveSession:
    """The large session in ``phase`` (the bundled taxonomy is loaded if it is not yet)."""
    load_taxonomy(BUNDLED_TAXONOMY_FILE)
    chance = random.Random(13)
    session = LiveSessionFactory(
        code=code,
        phase=phase,
        title="Common Ground: closing the gap",
        question="What do our communities need from research on algorithmic harm?",
        taxonomy=Strategy.objects.first().taxonomy,
        dot_budget=10,
        dot_cap=3,
        **fields,
    )
    people = [
        ParticipantFactory(
            live_session=session,
            pseudonym=f"{chance.choice(['Brave', 'Quiet', 'Bright', 'Kind'])} "
            f"{chance.choice(['Otter', 'Heron', 'Fox', 'Lynx', 'Wren'])} {number}",
            presence=Presence.REMOTE if number % 3 == 0 else Presence.IN_ROOM,
        )
        for number in range(1, PEOPLE + 1)
    ]
    needs = [
        NeedFactory(
            author=people[number % PEOPLE],
            text=f"{_NEEDS[number % len(_NEEDS)]} (#{number + 1})",
            context=_CONTEXTS[number % len(_CONTEXTS)],
        )
        for number in range(NEEDS)
    ]
    strategies = list(Strategy.objects.filter(taxonomy=session.taxonomy).order_by("pk"))
    # Demand leans on a few strategies, as a room's does.
    weights = [8 if index % 7 in (0, 3) else 1 for index in range(len(strategies))]
    pairs: set[tuple[int, int]] = set()
    mappings = []
    while len(mappings) < MAPPINGS:
        need = chance.choice(needs)
        strategy = chance.choices(strategies, weights)[0]
        if (need.pk, strategy.pk) in pairs:
            continue
        pairs.add((need.pk, strategy.pk))
        mappings.append(MappingFactory(need=need, strategy=strategy, author=need.author))
    placed = 0
    for person in people:
        targets = chance.sample(needs[:40], 3) + chance.sample(mappings, 3)
        for target in targets:
            if placed == DOTS:
                break
            dots = min(chance.choice([1, 1, 2]), DOTS - placed)  # 9 at most: within the budget
            on = {"need": target} if target in needs else {"mapping": target}
            VoteFactory(participant=person, live_session=session, dots=dots, **on)
            placed += dots
    while placed < DOTS:  # top up on needs, one dot per vote row, within the cap
        person, need = chance.choice(people), chance.choice(needs[40:])
        if not need.votes.filter(participant=person).exists():
            VoteFactory(participant=person, live_session=session, need=need)
            placed += 1
    kinds = list(GapKind)
    for number in range(GAP_NOTES):
        mapping = mappings[number * 2]
        GapNoteFactory(
            author=people[number],
            live_session=session,
            strategy=mapping.strategy,
            mapping=mapping if number % 2 else None,
            kind=kinds[number % len(kinds)],
            text=_GAPS[number % len(_GAPS)],
        )
    return session
