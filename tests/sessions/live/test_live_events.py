"""What each service tells the screens (its live events, after commit), and what the screens
redraw for each event (sessions.live.render, the one place that decides)."""

import pytest

from sessions import services
from sessions.enums import ContributionStatus, Phase
from sessions.live import events as live_events
from sessions.live.change import ALL_REGIONS
from sessions.live.kinds import KINDS, event_of
from sessions.live.render import change_for
from sessions.models import LiveSession, Need
from tests.factories import GapNoteFactory, MappingFactory, NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def set_phase(live_session, phase):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=phase)


def test_phase_lock_announcement_and_spotlight_each_tell_the_screens(
    live_session, facilitator, capture_live_events
):
    need = NeedFactory(author=ParticipantFactory(live_session=live_session))

    with capture_live_events() as events:
        services.set_phase(live_session=live_session, phase=Phase.VOTING, actor=facilitator)
        services.set_input_lock(live_session=live_session, actor=facilitator, locked=True)
        services.announce(live_session=live_session, actor=facilitator, text="Break!")
        services.spotlight(live_session=live_session, actor=facilitator, need=need)

    pk = live_session.pk
    assert events == [
        event_of("phase_changed", pk, {"phase": "voting"}),
        event_of("input_lock_changed", pk, {"locked": True}),
        event_of("announcement_changed", pk),
        event_of("spotlight_changed", pk, {"need_id": need.pk, "strategy_id": None}),
    ]
    assert LiveSession.objects.get(pk=pk).sequence == 4  # each bumps what screens compare


def test_settings_and_purge_redraw_everything(live_session, facilitator, capture_live_events):
    with capture_live_events() as events:
        services.configure_session(live_session=live_session, actor=facilitator, dot_budget=7)
        services.purge_contributions(live_session=live_session, actor=facilitator)

    assert [event.kind for event in events] == ["settings_changed", "contributions_purged"]
    assert all(change_for(event).regions == set(ALL_REGIONS) for event in events)


def test_a_refused_facilitator_action_tells_no_screen(
    live_session, facilitator, capture_live_events
):
    with capture_live_events() as events:
        with pytest.raises(services.InvalidInput):
            services.set_phase(live_session=live_session, phase="recess", actor=facilitator)
        with pytest.raises(services.InvalidInput):
            services.configure_session(live_session=live_session, actor=facilitator, dot_cap=0)

    assert events == []


def test_changing_presence_withdrawing_a_mapping_and_a_gap_note(
    live_session, participant, capture_live_events
):
    mapping = MappingFactory(need__author=participant, author=participant)
    note = GapNoteFactory(author=participant, strategy=mapping.strategy)
    mapping_id, need_id, note_id = mapping.pk, mapping.need_id, note.pk

    with capture_live_events() as events:
        services.update_participant(participant=participant, presence="remote", display_name="")
        services.delete_mapping(participant=participant, mapping=mapping)
        services.delete_gap_note(participant=participant, gap_note=note)

    pk = live_session.pk
    assert events == [
        event_of("participant_updated", pk, {"participant_id": participant.pk}),
        event_of("mapping_withdrawn", pk, {"need_id": need_id, "mapping_id": mapping_id}),
        event_of("gap_withdrawn", pk, {"gap_note_id": note_id}),
    ]


def test_moderating_a_mapping_or_a_gap_note_names_what_was_moderated(
    live_session, facilitator, capture_live_events
):
    mapping = MappingFactory(need__author=ParticipantFactory(live_session=live_session))
    note = GapNoteFactory(author=mapping.need.author, strategy=mapping.strategy)
    hidden = ContributionStatus.HIDDEN

    with capture_live_events() as events:
        services.moderate(actor=facilitator, contribution=mapping, status=hidden)
        services.moderate(actor=facilitator, contribution=note, status=hidden)

    pk = live_session.pk
    assert events == [
        event_of("mapping_moderated", pk, {"status": "hidden", "need_id": mapping.need_id}),
        event_of("gap_note_moderated", pk, {"status": "hidden", "need_id": None}),
    ]


def test_nothing_reaches_the_screens_from_a_write_that_rolls_back(
    live_session, participant, capture_live_events
):
    from django.db import transaction

    set_phase(live_session, Phase.NEEDS)
    with capture_live_events() as events, pytest.raises(RuntimeError), transaction.atomic():
        services.post_need(participant=participant, text="Never committed")
        raise RuntimeError

    assert events == []


# --- what the screens redraw ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "details", "regions", "changed", "removed", "tallies"),
    [
        ("participant_joined", {"participant_id": 3}, {"counts"}, set(), set(), set()),
        ("need_posted", {"need_id": 4}, {"counts"}, {4}, set(), set()),
        ("need_withdrawn", {"need_id": 4}, {"counts", "grid", "split", "gaps"}, set(), {4}, set()),
        ("dots_changed", {"need_id": 4, "mapping_id": None}, set(), set(), set(), {4}),
        ("dots_changed", {"need_id": 4, "mapping_id": 9}, {"grid", "split"}, set(), set(), {4}),
        ("need_mapped", {"need_id": 4, "mapping_ids": [9]}, {"grid", "split"}, {4}, set(), set()),
        (
            # The spotlight too: it may show one of their needs.
            "participant_removed",
            {"public_id": "abc", "written": [1, 2], "touched": [3]},
            {"counts", "grid", "split", "gaps", "spotlight"},
            {3},
            {1, 2},
            set(),
        ),
        (
            "participant_erased",
            {"written": [1, 2], "touched": [3]},
            {"counts", "grid", "split", "gaps", "spotlight"},
            {3},
            {1, 2},
            set(),
        ),
        (
            "merge_undone",
            {"need_id": 4, "duplicate_id": 5},
            {"counts", "grid", "split", "gaps"},
            {4, 5},
            set(),
            set(),
        ),
        ("phase_changed", {"phase": "voting"}, {"phase", "spotlight"}, set(), set(), set()),
        ("gap_noted", {"gap_note_id": 1, "strategy_id": 2}, {"gaps", "grid"}, set(), set(), set()),
    ],
)
def test_each_event_redraws_the_regions_it_changes(
    kind, details, regions, changed, removed, tallies
):
    change = change_for(event_of(kind, 1, details))

    assert (change.regions, change.needs_changed, change.needs_removed, change.tallies) == (
        regions,
        changed,
        removed,
        tallies,
    )


def test_a_phase_change_or_a_lock_tells_phones_that_what_they_can_do_changed():
    assert change_for(event_of("phase_changed", 1, {"phase": "gaps"})).phase_changed
    assert change_for(event_of("input_lock_changed", 1, {"locked": False})).phase_changed
    assert not change_for(event_of("timer_changed", 1)).phase_changed


def test_every_event_the_services_can_emit_has_a_redraw(monkeypatch):
    emitted = set()
    monkeypatch.setattr(live_events, "_emit", lambda event: emitted.add(event.kind))
    session = LiveSession(pk=1, phase="needs")
    need = Need(pk=2, live_session_id=1)
    for name in dir(live_events):
        function = getattr(live_events, name)
        # The *_committed functions publish after their own commit, not through _emit: their
        # events are the ones dots_changed, need_posted and need_mapped emit
        # (tests/test_quick_votes.py, test_quick_needs.py, test_quick_mappings.py);
        # commit_and_bump_statement is their commit's SQL.
        skipped = (
            "publish",
            "LiveEvent",
            "dots_changed_committed",
            "need_posted_committed",
            "need_mapped_committed",
            "commit_and_bump_statement",
        )
        if name.startswith("_") or not callable(function) or name in skipped:
            continue
        if function.__module__ != live_events.__name__:
            continue
        for call in _calls(name, session, need):
            call(function)

    assert emitted <= set(KINDS)
    assert len(emitted) == len(KINDS)  # and no kind is left that nobody emits


def _calls(name, session, need):
    """Ways of calling each public event function, covering each kind it can emit."""
    from sessions.models import GapNote, Mapping, Participant

    mapping = Mapping(pk=3, live_session_id=1, need_id=2)
    note = GapNote(pk=5, live_session_id=1, strategy_id=6)
    person = Participant(pk=7, live_session_id=1)
    table = {
        "participant_joined": [lambda f: f(person)],
        "participant_updated": [lambda f: f(person)],
        "participant_restored": [lambda f: f(person, needs=[])],
        "participant_left": [
            lambda f: f(1, written=[], touched=[], removed=False),
            lambda f: f(1, written=[], touched=[], removed=True, public_id="abc"),
        ],
        "need_posted": [lambda f: f(need)],
        "need_edited": [lambda f: f(need), lambda f: f(need, by_facilitator=True)],
        "need_withdrawn": [lambda f: f(1, 2)],
        "need_mapped": [lambda f: f(need, [mapping])],
        "mapping_withdrawn": [lambda f: f(1, need_id=2, mapping_id=3)],
        "dots_changed": [lambda f: f(1, need_id=2)],
        "gap_noted": [lambda f: f(note)],
        "gap_withdrawn": [lambda f: f(1, 5)],
        "contribution_moderated": [lambda f: f(need), lambda f: f(mapping), lambda f: f(note)],
        "needs_merged": [lambda f: f(need, 9)],
        "merge_undone": [lambda f: f(need, Need(pk=9, live_session_id=1))],
    }
    return table.get(name, [lambda f: f(session)])


def test_an_event_is_checked_where_it_is_made():
    with pytest.raises(TypeError):
        event_of("need_posted", 1, {})  # its need is missing
    with pytest.raises(TypeError):
        event_of("need_posted", 1, {"need_id": "4"})  # not an id
    with pytest.raises(TypeError):
        event_of("door_changed", 1, {"closed": True, "by": "ada"})  # not one of its fields
    with pytest.raises(TypeError):
        event_of("participant_erased", 1, {"written": [1, None], "touched": []})

    event = event_of("participant_erased", 1, {"written": [2, 1], "touched": []})

    assert event.written == (2, 1) and event.details == {"written": (2, 1), "touched": ()}


def test_a_service_that_emits_a_wrong_field_fails_at_once(live_session, participant):
    with pytest.raises(TypeError):
        live_events.dots_changed(live_session.pk, need_id=None)
