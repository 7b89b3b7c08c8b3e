"""Facilitator actions as a state machine (issue 21): Hypothesis plays random interleavings of
two facilitators' moderation actions (hide, restore, correct, merge, dismiss a suggestion,
remove, restore a participant) and their undos, with several participants' needs, mappings,
dots, gap notes, withdrawals and erasures, and checks after every step that

- no row is orphaned or half-merged: a need or mapping is MERGED exactly while a merge not
  undone holds it, no dot and no gap note sits on anything merged away, a vote is hidden
  exactly while its participant is removed;
- no dot is lost or created: each participant's dots (hidden ones included) are exactly what
  they placed, minus what they took back, minus what a merge's cap returned to their budget,
  plus what an undo put back; only a withdrawal or an erasure may take dots away, and no more
  than those on the rows withdrawn or erased;
- no budget or cap is exceeded;
- an undo right after its action gives back exactly the state before it.

A failure is shrunk by Hypothesis to the shortest sequence of steps that shows it. The number
of runs can be raised with HYPOTHESIS_MODERATION_EXAMPLES (CI keeps it small: the suite must
stay fast)."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from sessions import services
from sessions.enums import ContributionStatus, Phase
from sessions.models import (
    GapNote,
    LiveSession,
    Mapping,
    MergedDots,
    MergedMapping,
    MergeSuggestion,
    ModerationAction,
    Need,
    NeedMerge,
    Participant,
    Vote,
)
from tests.factories import LiveSessionFactory, ParticipantFactory, StrategyFactory

pytestmark = pytest.mark.django_db
VISIBLE, HIDDEN, PENDING, MERGED = (
    ContributionStatus.VISIBLE,
    ContributionStatus.HIDDEN,
    ContributionStatus.PENDING,
    ContributionStatus.MERGED,
)
BUDGET, CAP = 6, 3
# Texts alike in pairs, so that merge suggestions come up to be dismissed.
TEXTS = [
    "Know why our posts vanish",
    "Know why my posts vanish",
    "Safer streams for trans creators",
    "Safe streaming for trans creators",
    "Leave a platform together",
]
pick = st.integers(min_value=0, max_value=10**6)


def chosen(rows, index):
    rows = list(rows)
    return rows[index % len(rows)] if rows else None


class ModerationMachine(RuleBasedStateMachine):
    """One session, two facilitators, participants who come and go. Each example runs in a
    savepoint rolled back at its end."""

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.session = LiveSessionFactory(phase=Phase.NEEDS, dot_budget=BUDGET, dot_cap=CAP)
        self.strategies = StrategyFactory.create_batch(3, category__taxonomy=self.session.taxonomy)
        users = get_user_model().objects
        self.facilitators = [
            users.create_user(f"ada{self.session.pk}", first_name="Ada"),
            users.create_user(f"sam{self.session.pk}", first_name="Sam"),
        ]
        self.session.facilitators.add(*self.facilitators)
        self.ledger: dict[int, int] = {}  # participant pk: the dots they must hold
        self.steps: list[str] = []

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------------

    def phase(self, value):
        LiveSession.objects.filter(pk=self.session.pk).update(phase=value)

    def people(self, *, removed=None):
        people = Participant.objects.filter(live_session=self.session).order_by("pk")
        if removed is not None:
            people = people.filter(removed_at__isnull=not removed)
        return people

    def needs(self, **filters):
        return Need.objects.filter(live_session=self.session, **filters).order_by("pk")

    def mappings(self, **filters):
        return Mapping.objects.filter(live_session=self.session, **filters).order_by("pk")

    def held(self, person_pk) -> int:
        return Vote.with_hidden.filter(participant_id=person_pk).aggregate(n=Sum("dots"))["n"] or 0

    def state(self):
        """Everything an undo must give back, row by row."""
        session = self.session

        def ordered(rows):
            return sorted(rows, key=lambda row: [(v is None, str(v)) for v in row])

        return [
            ordered(Need.objects.filter(live_session=session).values_list("pk", "text", "status")),
            ordered(
                Mapping.objects.filter(live_session=session).values_list(
                    "pk", "need_id", "strategy_id", "status"
                )
            ),
            ordered(
                Vote.with_hidden.filter(live_session=session).values_list(
                    "participant_id", "need_id", "mapping_id", "dots", "hidden"
                )
            ),
            ordered(
                GapNote.objects.filter(live_session=session).values_list(
                    "pk", "mapping_id", "status"
                )
            ),
            ordered(self.people().values_list("pk", "removed_at")),
            ordered(
                MergeSuggestion.objects.filter(live_session=session).values_list(
                    "pk", "dismissed_at"
                )
            ),
        ]

    def refused_or(self, action):
        """Run ``action``; a refusal in words (SessionError) is an answer, anything else a bug."""
        try:
            return action()
        except services.SessionError:
            return None

    def losing(self, action, rows_of):
        """Run a withdrawal or an erasure: it may take away others' dots, but only those that
        sat on the rows it deletes (``rows_of``: per participant, their dots there before)."""
        before = {pk: self.held(pk) for pk in self.ledger}
        at_most = rows_of()
        self.refused_or(action)
        alive = set(self.people().values_list("pk", flat=True))
        for pk in list(self.ledger):
            if pk not in alive:
                del self.ledger[pk]
                continue
            lost = before[pk] - self.held(pk)
            assert 0 <= lost <= at_most.get(pk, 0), (pk, lost, at_most)
            self.ledger[pk] -= lost

    def dots_on(self, needs, mappings) -> dict[int, int]:
        """Per participant, their dots on these needs, their mappings, and these mappings."""
        votes = (
            Vote.with_hidden.filter(live_session=self.session).filter(need__in=needs)
            | Vote.with_hidden.filter(live_session=self.session, mapping__need__in=needs)
            | (Vote.with_hidden.filter(live_session=self.session, mapping__in=mappings))
        )
        totals: dict[int, int] = {}
        for vote in votes.distinct():
            totals[vote.participant_id] = totals.get(vote.participant_id, 0) + vote.dots
        return totals

    # --- participants ----------------------------------------------------------------------

    @initialize()
    def a_room_under_way(self):
        """Three people, two pairs of needs alike, mappings, and dots on both needs of a pair
        (so that a merge meets the cap)."""
        for _ in range(3):
            self.join()
        people = list(self.people())
        self.phase(Phase.NEEDS)
        needs = [
            services.post_need(participant=people[index % 3], text=text)
            for index, text in enumerate(TEXTS[:4])
        ]
        self.phase(Phase.MAPPING)
        for index, need in enumerate(needs):
            services.map_need(
                participant=people[(index + 1) % 3],
                need=need,
                strategies=self.strategies[: 1 + index % 2],
            )
        self.phase(Phase.VOTING)
        for person, need, dots in ((0, 0, 2), (0, 1, 2), (1, 1, 1), (1, 2, 2), (2, 3, 2)):
            for _ in range(dots):
                services.add_dot(participant=people[person], need=needs[need])
                self.ledger[people[person].pk] += 1
        for person, mapping in ((1, 0), (2, 1), (2, 2)):
            services.add_dot(participant=people[person], mapping=self.mappings()[mapping])
            self.ledger[people[person].pk] += 1

    @rule()
    def join(self):
        person = ParticipantFactory(live_session=self.session)
        self.ledger[person.pk] = 0

    @precondition(lambda self: self.ledger)
    @rule(who=pick, text=pick)
    def post_need(self, who, text):
        self.phase(Phase.NEEDS)
        person = chosen(self.people(), who)
        self.refused_or(
            lambda: services.post_need(participant=person, text=TEXTS[text % len(TEXTS)])
        )

    @rule(which=pick, text=pick)
    def edit_own_need(self, which, text):
        self.phase(Phase.NEEDS)
        need = chosen(self.needs(), which)
        if need is not None:
            self.refused_or(
                lambda: services.edit_need(
                    participant=need.author, need=need, text=TEXTS[text % len(TEXTS)] + "!"
                )
            )

    @rule(who=pick, which=pick, strategy=pick)
    def map_need(self, who, which, strategy):
        self.phase(Phase.MAPPING)
        person, need = chosen(self.people(), who), chosen(self.needs(), which)
        if person is not None and need is not None:
            self.refused_or(
                lambda: services.map_need(
                    participant=person,
                    need=need,
                    strategies=[self.strategies[strategy % len(self.strategies)]],
                )
            )

    @rule(
        who=pick,
        which=pick,
        on_mapping=st.booleans(),
        add=st.booleans(),
        times=st.integers(1, 3),
    )
    def vote(self, who, which, on_mapping, add, times):
        self.phase(Phase.VOTING)
        person = chosen(self.people(), who)
        item = chosen(self.mappings() if on_mapping else self.needs(), which)
        if person is None or item is None:
            return
        target = {"mapping": item} if on_mapping else {"need": item}
        service = services.add_dot if add else services.remove_dot
        for _ in range(times):
            before = self.held(person.pk)
            self.refused_or(lambda: service(participant=person, **target))
            change = self.held(person.pk) - before
            assert change in ((0, 1) if add else (0, -1))
            self.ledger[person.pk] += change

    @rule(who=pick, which=pick)
    def note_a_gap(self, who, which):
        self.phase(Phase.GAPS)
        person, mapping = chosen(self.people(), who), chosen(self.mappings(), which)
        if person is not None and mapping is not None:
            self.refused_or(
                lambda: services.annotate_gap(
                    participant=person, kind="safety", text="Nothing on safety", mapping=mapping
                )
            )

    @rule(what=st.sampled_from(["need", "mapping", "erase"]), which=pick)
    def withdraw_or_erase(self, what, which):
        """An author withdraws a need or a mapping, or someone erases themselves: the only
        steps that may take dots away, those on the rows they delete."""
        if what == "need":
            need = chosen(self.needs(), which)
            if need is not None:
                self.losing(
                    lambda: services.delete_need(participant=need.author, need=need),
                    lambda: self.dots_on([need.pk], []),
                )
        elif what == "mapping":
            mapping = chosen(self.mappings(), which)
            if mapping is not None:
                self.losing(
                    lambda: services.delete_mapping(participant=mapping.author, mapping=mapping),
                    lambda: self.dots_on([], [mapping.pk]),
                )
        else:
            person = chosen(self.people(), which)
            if person is None:
                return
            own_needs = list(Need.objects.filter(author=person).values_list("pk", flat=True))
            own_mappings = list(Mapping.objects.filter(author=person).values_list("pk", flat=True))
            self.losing(
                lambda: services.erase_participant(participant=person),
                lambda: self.dots_on(own_needs, own_mappings),
            )

    # --- facilitators ----------------------------------------------------------------------

    @rule(by=st.integers(0, 1), kind=st.sampled_from(["need", "mapping", "gap"]), which=pick)
    def hide_or_show(self, by, kind, which):
        rows = {
            "need": self.needs(),
            "mapping": self.mappings(),
            "gap": GapNote.objects.filter(live_session=self.session).order_by("pk"),
        }[kind]
        row = chosen(rows, which)
        if row is not None:
            status = VISIBLE if row.status == HIDDEN else HIDDEN
            self.refused_or(
                lambda: services.moderate(
                    actor=self.facilitators[by], contribution=row, status=status
                )
            )

    @rule(by=st.integers(0, 1), which=pick, text=pick)
    def correct(self, by, which, text):
        need = chosen(self.needs(), which)
        if need is not None:
            self.refused_or(
                lambda: services.correct_need(
                    actor=self.facilitators[by],
                    need=need,
                    text=TEXTS[text % len(TEXTS)] + " (corrected)",
                    context="",
                )
            )

    def pair(self, keep, duplicate, any_need=False):
        """Two needs to merge: ``any_need``, any two, merged away ones too (a crossed or
        repeated merge, to be refused); else two not merged away, the second one sharing a
        voter with the first when there is one (so that merges meet the cap)."""
        if any_need:
            return chosen(self.needs(), keep), chosen(self.needs(), duplicate)
        needs = self.needs().exclude(status=MERGED)
        keep = chosen(needs, keep)
        if keep is None:
            return None, None
        voters = Vote.with_hidden.filter(need=keep).values("participant_id")
        shared = needs.exclude(pk=keep.pk).filter(votes__participant_id__in=voters).distinct()
        return keep, chosen(shared, duplicate) or chosen(needs, duplicate)

    @rule(by=st.integers(0, 1), keep=pick, duplicate=pick, any_need=st.booleans())
    def merge(self, by, keep, duplicate, any_need):
        keep, duplicate = self.pair(keep, duplicate, any_need)
        if keep is None or duplicate is None:
            return
        result = self.refused_or(
            lambda: services.merge_needs(
                actor=self.facilitators[by], keep=keep, duplicate=duplicate
            )
        )
        if result is not None:
            for record in MergedDots.objects.filter(merge=result.entry.merge):
                self.ledger[record.participant_id] -= record.returned

    @rule(by=st.integers(0, 1), which=pick)
    def dismiss_suggestion(self, by, which):
        services.refresh_merge_suggestions(live_session=self.session)
        suggestion = chosen(
            MergeSuggestion.objects.filter(live_session=self.session).order_by("pk"), which
        )
        if suggestion is not None:
            self.refused_or(
                lambda: services.dismiss_merge_suggestion(
                    actor=self.facilitators[by], suggestion=suggestion
                )
            )

    @rule(by=st.integers(0, 1), which=pick)
    def spotlight(self, by, which):
        need = chosen(self.needs(), which)
        self.refused_or(
            lambda: services.spotlight(
                live_session=self.session, actor=self.facilitators[by], need=need
            )
        )

    @rule(by=st.integers(0, 1), who=pick, restore=st.booleans())
    def remove_or_restore(self, by, who, restore):
        person = chosen(self.people(), who)
        if person is not None:
            service = services.restore_participant if restore else services.remove_participant
            self.refused_or(lambda: service(actor=self.facilitators[by], participant=person))

    @rule(by=st.integers(0, 1), which=pick)
    def undo(self, by, which):
        """Any entry of the log, by either facilitator, whatever happened since."""
        entry = chosen(
            ModerationAction.objects.filter(live_session=self.session).order_by("pk"), which
        )
        if entry is not None:
            self._undo(self.facilitators[by], entry)

    def _undo(self, actor, entry):
        done = self.refused_or(lambda: services.undo(actor=actor, entry=entry))
        if done is not None and done.dots is not None:
            names = {person.name: person.pk for person in self.people()}
            for name, dots in done.dots.returned:
                self.ledger[names[name]] += dots
        return done

    @rule(by=st.integers(0, 1), first=pick, second=pick)
    def merge_then_undo_at_once(self, by, first, second):
        self.act_then_undo_at_once(by, "merge", first, second)

    @rule(
        by=st.integers(0, 1),
        action=st.sampled_from(["hide", "correct", "remove", "dismiss"]),
        first=pick,
        second=pick,
    )
    def act_then_undo_at_once(self, by, action, first, second):
        """An undo right after its action gives back exactly the state before it."""
        actor = self.facilitators[by]
        services.refresh_merge_suggestions(live_session=self.session)
        before = self.state()
        ledger = dict(self.ledger)
        entry = None
        if action == "merge":
            keep, duplicate = self.pair(first, second)
            if keep is None or duplicate is None:
                return
            result = self.refused_or(
                lambda: services.merge_needs(actor=actor, keep=keep, duplicate=duplicate)
            )
            entry = result.entry if result else None
            if entry is not None:
                for record in MergedDots.objects.filter(merge=entry.merge):
                    self.ledger[record.participant_id] -= record.returned
        elif action == "hide":
            need = chosen(self.needs(), first)
            if need is not None and need.status != HIDDEN:
                entry = self.refused_or(
                    lambda: services.moderate(actor=actor, contribution=need, status=HIDDEN)
                )
        elif action == "correct":
            need = chosen(self.needs(), first)
            corrected = need is not None and self.refused_or(
                lambda: services.correct_need(
                    actor=actor, need=need, text="Corrected at once", context=""
                )
            )
            if corrected:
                entry = ModerationAction.objects.filter(
                    live_session=self.session, action="edit", need=need
                ).first()  # the newest
        elif action == "remove":
            person = chosen(self.people(removed=False), first)
            if person is not None:
                entry = self.refused_or(
                    lambda: services.remove_participant(actor=actor, participant=person)
                )
        else:
            suggestion = chosen(
                MergeSuggestion.objects.filter(
                    live_session=self.session, dismissed_at__isnull=True
                ),
                first,
            )
            if suggestion is not None:
                entry = self.refused_or(
                    lambda: services.dismiss_merge_suggestion(actor=actor, suggestion=suggestion)
                )
        if entry is None:
            assert self.state() == before  # refused: nothing changed
            return
        assert self._undo(actor, entry) is not None, f"the undo of {action} was refused"
        assert self.state() == before
        assert self.ledger == ledger

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def nothing_is_orphaned_or_half_merged(self):
        session = self.session
        for vote in Vote.with_hidden.filter(live_session=session).select_related(
            "need", "mapping__need", "participant"
        ):
            assert (vote.need_id is None) != (vote.mapping_id is None)
            item = vote.need or vote.mapping
            assert item.live_session_id == session.pk
            assert item.status != MERGED, f"a dot on {item} merged away"
            if vote.mapping_id:
                assert vote.mapping.need.status != MERGED
            assert vote.hidden == (vote.participant.removed_at is not None)
        for need in Need.objects.filter(live_session=session):
            merged_by = NeedMerge.objects.filter(duplicate=need, undone_at__isnull=True).count()
            assert merged_by == (1 if need.status == MERGED else 0), need
        for mapping in Mapping.objects.filter(live_session=session).select_related("need"):
            folded = MergedMapping.objects.filter(
                mapping=mapping, folded=True, merge__undone_at__isnull=True
            ).count()
            assert folded == (1 if mapping.status == MERGED else 0), mapping
            if mapping.need.status == MERGED:
                assert mapping.status == MERGED, f"{mapping} lives on a merged-away need"
        for note in GapNote.objects.filter(live_session=session, mapping__isnull=False):
            assert note.mapping.status != MERGED
        for model in (Need, Mapping, GapNote):
            for row in model.objects.filter(live_session=session).select_related("author"):
                if row.author.removed_at is None and row.status != MERGED:
                    assert row.status_before_removal == "", row
        spotlit = LiveSession.objects.get(pk=session.pk).spotlight_need
        assert spotlit is None or spotlit.status != MERGED

    @invariant()
    def no_dot_is_lost_or_created_and_no_budget_or_cap_exceeded(self):
        for pk, expected in self.ledger.items():
            held = self.held(pk)
            assert held == expected, f"participant {pk} holds {held} dots, expected {expected}"
            assert held <= BUDGET
        assert not Vote.with_hidden.filter(live_session=self.session, dots__gt=CAP).exists()
        assert not Vote.with_hidden.filter(live_session=self.session, dots__lt=1).exists()


def test_moderation_in_any_order_loses_nothing(settings_override):
    run_state_machine_as_test(
        ModerationMachine,
        settings=settings(
            max_examples=int(os.environ.get("HYPOTHESIS_MODERATION_EXAMPLES", 25)),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            derandomize=os.environ.get("HYPOTHESIS_MODERATION_SEED") is None,
            database=None,
        ),
    )


@pytest.fixture
def settings_override(settings):
    """Rate limits would refuse the machine's hundreds of writes a minute: off here."""
    settings.RATE_LIMITS_ENABLED = False
