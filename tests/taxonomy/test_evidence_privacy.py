"""The differential privacy of the published evidence (taxonomy/privacy.py, docs/evidence.md):
one person's part in a release is bounded, every release draws fresh noise of the documented
scale and spends the session's budget, a release past the budget is refused, and subtracting
two publications (publish, someone erases themselves, publish again) tells no more about
that person than ε allows.

The noise comes from OpenDP's sampler, which cannot be seeded (by design: it draws from the
operating system). The statistical tests use enough releases, and bounds loose enough, that a
correct mechanism fails them with a probability under one in a million; the simulated rooms are
seeded."""

import math
import random
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.urls import reverse

from sessions import services
from sessions.enums import Phase
from sessions.models import EvidenceRelease
from sessions.queries.evidence import bounded_evidence
from taxonomy import privacy
from taxonomy.enums import Approach
from taxonomy.evidence import evidence, evidence_document
from taxonomy.models import EvidenceCount, PublishedWorkshop, Strategy
from tests.factories import (
    CategoryFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    TaxonomyFactory,
    VoteFactory,
)

ONE_IN_A_MILLION = 1e-6


# --- the mechanism ---------------------------------------------------------------------------


def test_a_release_spends_what_opendp_says():
    for family in privacy.FAMILIES.values():
        assert privacy.family_epsilon(family) == Decimal(family.sensitivity) / family.scale
    assert privacy.release_epsilon() == privacy.EPSILON_PER_RELEASE
    assert privacy.EPSILON_PER_SESSION >= privacy.EPSILON_PER_RELEASE


def _room(rng: random.Random, strategies: list[Strategy], people: int) -> list[dict]:
    """People's own activity (strategy id -> [needs mapped, dots, gap notes]), from nothing
    to far more than anyone could do in a workshop."""
    room = []
    for _ in range(people):
        activity = {}
        for strategy in rng.sample(strategies, rng.randint(0, len(strategies))):
            activity[strategy.pk] = [
                rng.choice([0, 0, 1, 2, 9]),
                rng.choice([0, 1, 3, 5, 40]),
                rng.choice([0, 0, 1, 7]),
            ]
        room.append(activity)
    return room


def _families(found) -> dict[str, list[int]]:
    """A bounded evidence's figures, by the family of noise each gets."""
    return {
        "contributors": [found.participants],
        "strategy_participants": [row.participants for row in found.strategies],
        "strategy_demand": [n for row in found.strategies for n in (row.needs_mapped, row.dots)],
        "strategy_gap_notes": [row.gap_notes for row in found.strategies],
        "approach_demand": [n for row in found.approaches for n in (row.needs_mapped, row.dots)],
    }


def test_removing_one_person_changes_each_kind_of_figure_by_at_most_its_bound():
    """The sensitivity the noise is calibrated to holds: with any one person left out (an
    erasure), every family of figures moves by at most its bound, summed over all rows."""
    rng = random.Random(21)
    approaches = [a.value for a in Approach]
    strategies = [Strategy(pk=pk, approach=approaches[pk % 3]) for pk in range(1, 13)]
    worst = dict.fromkeys(privacy.FAMILIES, 0)
    for _ in range(60):
        room = _room(rng, strategies, rng.randint(1, 12))
        everyone = _families(bounded_evidence(strategies, room, joined=len(room)))
        for left_out in range(len(room)):
            others = room[:left_out] + room[left_out + 1 :]
            without = _families(bounded_evidence(strategies, others, joined=len(others)))
            for name, figures in everyone.items():
                moved = sum(abs(a - b) for a, b in zip(figures, without[name], strict=True))
                worst[name] = max(worst[name], moved)
    for name, family in privacy.FAMILIES.items():
        assert worst[name] <= family.sensitivity, name
    # ...and the bounds are reached, so they are not looser than they need to be
    assert worst == {name: family.sensitivity for name, family in privacy.FAMILIES.items()}


def test_the_bounds_keep_a_persons_proportions():
    """A very active person's needs mapped and dots are scaled down, not cut at the first
    strategies: their split across strategies stays what it was."""
    counted = privacy.clip({1: (0, 20, 0), 2: (0, 10, 0), 3: (0, 0, 0)}, {1: 0, 2: 1, 3: 2})

    assert counted == {1: (1, 0, 4, 0), 2: (1, 0, 2, 0)}


@pytest.mark.parametrize("name", list(privacy.FAMILIES))
def test_the_noise_has_the_documented_scale(name):
    """Each family's noise is discrete Laplace of its scale: P(k) proportional to
    exp(-|k|/scale), so its mean distance from zero is 2a/(1 - a²), a = exp(-1/scale)."""
    scale = float(privacy.FAMILIES[name].scale)
    draws = privacy.noisy(name, [0] * 20_000)
    a = math.exp(-1 / scale)
    expected = 2 * a / (1 - a * a)
    spread = math.sqrt(2 * a / (1 - a) ** 2 - expected**2)  # sd of |k|: E[k²] = 2a/(1-a)²
    mean = sum(abs(k) for k in draws) / len(draws)
    # Six standard errors: a correct scale fails this about once in a billion runs.
    assert abs(mean - expected) < 6 * spread / math.sqrt(len(draws))
    assert abs(sum(draws) / len(draws)) < 6 * math.sqrt(2 * a) / (1 - a) / math.sqrt(len(draws))
    # What the preview and docs/evidence.md promise "9 times in 10" holds, and is the least
    # bound that does.
    t = privacy.within(name)
    assert 2 * a ** (t + 1) / (1 + a) <= 0.1 < 2 * a**t / (1 + a)
    inside = sum(abs(k) <= t for k in draws) / len(draws)
    assert inside > 0.9 - 6 * math.sqrt(0.09 / len(draws))


# --- releases and the budget -----------------------------------------------------------------


@pytest.fixture
def taxonomy(db):
    taxonomy = TaxonomyFactory(slug="default", is_default=True)
    category = CategoryFactory(taxonomy=taxonomy)
    for slug, approach in (("poison", Approach.MODEL), ("folk", Approach.PLATFORM)):
        StrategyFactory(category=category, slug=slug, name=slug.title(), approach=approach)
    return taxonomy


def room_at_wrapup(taxonomy, code: str, *, on_poison: int = 4, on_folk: int = 3):
    """A session at wrap-up: ``on_poison`` people each map a need onto Poison, ``on_folk``
    onto Folk."""
    session = LiveSessionFactory(code=code, taxonomy=taxonomy, phase=Phase.WRAPUP)
    strategies = {s.slug: s for s in taxonomy.strategies.all()}
    mappings = []
    for slug, count in (("poison", on_poison), ("folk", on_folk)):
        for person in ParticipantFactory.create_batch(count, live_session=session):
            need = NeedFactory(author=person, live_session=session)
            mappings.append(MappingFactory(need=need, author=person, strategy=strategies[slug]))
    return session, mappings


def test_every_release_draws_fresh_noise_and_spends_the_budget_until_it_is_refused(
    client, taxonomy, django_user_model
):
    session, _ = room_at_wrapup(taxonomy, "AAAAAA", on_poison=6, on_folk=6)
    organiser = django_user_model.objects.create_user("organiser", password="pw")
    session.facilitators.add(organiser)
    client.force_login(organiser)
    url = reverse("sessions:evidence", args=[session.code])

    def published() -> list[tuple]:
        return list(
            EvidenceCount.objects.order_by("strategy_id", "approach").values_list(
                "participants", "needs_mapped", "dots", "gap_notes"
            )
        )

    client.post(url, {"action": "publish"})
    first = published()
    client.post(url, {"action": "publish"})
    second = published()
    refused = client.post(url, {"action": "publish"}, follow=True).text

    # Fresh noise each time: some of the dozen figures differ (all equal: under 1 in 10⁶).
    assert first != second
    assert list(EvidenceRelease.objects.values_list("epsilon", flat=True)) == [2, 2]
    assert "privacy budget is spent" in refused and "ε 4 of 4 spent" in refused
    assert "0 more publications possible" in refused
    assert "Publish again" not in refused and "Take it back" in refused
    assert PublishedWorkshop.objects.get().epsilon == 4
    assert published() == second  # the refused release changed nothing

    client.post(url, {"action": "unpublish"})
    assert not PublishedWorkshop.objects.exists()
    with pytest.raises(services.PrivacyBudgetSpent):
        # Taking a publication back does not give its budget back: it may have been copied.
        services.publish_evidence(live_session=session, actor=organiser)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL's row locks (CI runs it)"
)
def test_organisers_publishing_at_once_cannot_spend_the_budget_twice(taxonomy):
    """Six publications at the same moment, with a budget for two: the budget is read under
    the session's row lock, so exactly two go out and four are refused."""
    session, _ = room_at_wrapup(taxonomy, "AAAAAA", on_poison=6)
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def publish() -> None:
        try:
            barrier.wait()
            services.publish_evidence(live_session=session, actor=None)
            outcomes.append("published")
        except services.PrivacyBudgetSpent:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["published"] * 2 + ["refused"] * 4
    assert EvidenceRelease.objects.filter(live_session=session).count() == 2
    assert PublishedWorkshop.objects.get().epsilon == privacy.EPSILON_PER_SESSION


# --- the subtraction of two publications -----------------------------------------------------


def _clopper_pearson(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """A two-sided (1 - alpha) interval for a proportion, by bisection on the binomial tail
    (no scipy here)."""

    def tail(p: float, k_from: int) -> float:  # P(X >= k_from)
        return sum(
            math.comb(trials, k) * p**k * (1 - p) ** (trials - k) for k in range(k_from, trials + 1)
        )

    def solve(predicate) -> float:
        low, high = 0.0, 1.0
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if predicate(middle) else (low, middle)
        return (low + high) / 2

    lower = 0.0 if successes == 0 else solve(lambda p: tail(p, successes) < alpha / 2)
    upper = 1.0 if successes == trials else solve(lambda p: 1 - tail(p, successes + 1) > alpha / 2)
    return lower, upper


def _figure(line: dict, name: str) -> int:
    return line[name] or 0  # a withheld figure reads as nothing


def _what_the_difference_shows(before: dict, after: dict) -> tuple[int, bool]:
    """What anyone can compute from two public evidence.json documents: how much Poison, its
    approach and the workshop lost (a person's 1 need mapped and 3 dots show as 1 person, 4
    needs and dots twice over, and 1 participant), and whether Poison went from shown to
    withheld (the five-person floor crossed)."""
    poison = [
        next(s for s in doc["strategies"] if s["slug"] == "poison") for doc in (before, after)
    ]
    model = [
        next(a for a in doc["approaches"] if a["approach"] == "model") for doc in (before, after)
    ]
    participants = [sum(w["participants"] for w in doc["workshops"]) for doc in (before, after)]
    lost = participants[0] - participants[1]
    for name in ("participants", "needs_mapped", "dots"):
        lost += _figure(poison[0], name) - _figure(poison[1], name)
    for name in ("needs_mapped", "dots"):
        lost += _figure(model[0], name) - _figure(model[1], name)
    floor_crossed = bool(poison[0]["needs_mapped"] is not None and poison[0]["needs_mapped"] > 0)
    floor_crossed = floor_crossed and not (poison[1]["needs_mapped"] or 0)
    return lost, floor_crossed


def _publish_erase_publish(session, poison_mapping, *, contributes: bool) -> tuple[int, bool]:
    """One try of the attack on ``session`` (four people behind Poison, three behind Folk):
    one more person either maps a need onto Poison and puts 3 dots on another's mapping there
    (``contributes``), or only joins. Publish, that person erases themselves, publish again:
    what does the difference show?"""
    person = ParticipantFactory(live_session=session)
    if contributes:
        need = NeedFactory(author=person, live_session=session)
        MappingFactory(need=need, author=person, strategy=poison_mapping.strategy)
        VoteFactory(participant=person, mapping=poison_mapping, dots=3)
    services.publish_evidence(live_session=session, actor=None)
    before = evidence_document(evidence(session.taxonomy))
    services.erase_participant(participant=person)
    services.publish_evidence(live_session=session, actor=None)
    after = evidence_document(evidence(session.taxonomy))
    # Each try is the session's first two releases: the attack is repeated on one room, as if
    # on many alike (the budget is tested above).
    EvidenceRelease.objects.filter(live_session=session).delete()
    return _what_the_difference_shows(before, after)


@pytest.mark.django_db(transaction=False)
def test_subtracting_two_publications_tells_no_more_about_one_person_than_epsilon_allows(
    taxonomy,
):
    """Publish; one participant erases themselves; publish again; the difference between the
    two public files is what an attacker has. Tried many times in each of two worlds (the
    person mapped 1 need and put 3 dots on Poison, the fifth person behind it; or only
    joined), two ways of guessing which world it was (the difference is more than half the
    person's contribution; Poison went from shown to withheld) must not tell them apart
    better than ε-differential privacy allows: P(guess | contributed) <= e^ε P(guess | not),
    both ways round, checked on Clopper-Pearson bounds. Exact figures behind a floor fail it
    (they tell every time); a release with too little noise fails it."""
    # 150 tries: with the bounds below, exact figures (the guess right every time) fail.
    tries = 150
    session, mappings = room_at_wrapup(taxonomy, "AAAAAA")
    results = {
        world: [
            _publish_erase_publish(session, mappings[0], contributes=world) for _ in range(tries)
        ]
        for world in (True, False)
    }
    bound = math.exp(privacy.EPSILON_PER_RELEASE)  # the person is in the first release only
    alpha = ONE_IN_A_MILLION / 8  # two guesses, two ways round, two bounds each
    measured = {}
    for guess_name, guess in (
        ("lost more than half of 10", lambda shown: shown[0] > 5),
        ("Poison crossed the floor", lambda shown: shown[1]),
    ):
        hits = {world: sum(map(guess, tried)) for world, tried in results.items()}
        measured[guess_name] = (hits[True] / tries, hits[False] / tries)
        for said, other in ((True, False), (False, True)):
            # P(guess | world said) <= e^ε P(guess | other world), and the same for "no guess"
            for counts in ((hits[said], hits[other]), (tries - hits[other], tries - hits[said])):
                low, _ = _clopper_pearson(counts[0], tries, alpha)
                _, high = _clopper_pearson(counts[1], tries, alpha)
                assert low <= bound * high, (guess_name, measured[guess_name])
    print(f"\nsubtraction attack, {tries} tries per world: P(guess | contributed), P(guess | not):")
    for name, (hit, false_hit) in measured.items():
        print(f"  {name}: {hit:.2f}, {false_hit:.2f}")
