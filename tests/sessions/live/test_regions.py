"""Every event kind against every region and every screen (sessions.live.regions).

For each kind, a real service call on a lively session (the demo's) emits it; every board region,
and the phones' results, is rendered before and after. A region whose rendering changed must be
one the event's facts redraw: a region that declares too few facts (the old hand-written rule
forgotten) fails here. And on each phase's screen, the regions an update pushes are exactly those
of the screen whose facts the event touched."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.template.loader import render_to_string

from sessions import phases, queries, services
from sessions.demo import create_demo_session
from sessions.enums import ContributionStatus, Phase
from sessions.live import regions
from sessions.live.change import Change
from sessions.live.kinds import KINDS
from sessions.models import GapNote, LiveSession, Mapping, Need, NeedMerge, Participant
from taxonomy.models import Strategy, Taxonomy

pytestmark = pytest.mark.django_db

HIDDEN = ContributionStatus.HIDDEN


@pytest.fixture
def room(settings):
    settings.DEBUG = True  # the demo is seeded for `make run`
    call_command("load_taxonomy", stdout=io.StringIO())
    user = get_user_model().objects.create_user("walker", password="pw")
    live = create_demo_session(taxonomy=Taxonomy.objects.first(), facilitator=user)
    return live, user


def _first(model, live, **filters):
    return model.objects.filter(live_session=live, **filters).order_by("pk").first()


def _author_of_a_need(live):
    return _first(Need, live, status=ContributionStatus.VISIBLE).author


def _phase(live, phase):
    LiveSession.objects.filter(pk=live.pk).update(phase=phase, input_locked=False)


# kind -> (phase to be in, setup before the first look, the action that emits the kind)
def _remove(live, user):
    services.remove_participant(actor=user, participant=_author_of_a_need(live))


def _merge(live, user):
    keep, duplicate = Need.objects.filter(live_session=live).order_by("pk")[:2]
    return services.merge_needs(actor=user, keep=keep, duplicate=duplicate)


ACTIONS = {
    "participant_joined": (
        Phase.LOBBY,
        None,
        lambda live, user: services.join_session(live_session=live, presence="room", agreed=True),
    ),
    "participant_updated": (
        Phase.NEEDS,
        None,
        lambda live, user: services.update_participant(
            participant=_author_of_a_need(live), presence="remote", display_name="Renamed"
        ),
    ),
    "participant_erased": (
        Phase.VOTING,
        None,
        lambda live, user: services.erase_participant(participant=_author_of_a_need(live)),
    ),
    "participant_removed": (Phase.VOTING, None, _remove),
    "participant_restored": (
        Phase.VOTING,
        _remove,
        lambda live, user: services.restore_participant(
            actor=user, participant=_first(Participant, live, removed_at__isnull=False)
        ),
    ),
    "need_posted": (
        Phase.MAPPING,
        None,
        lambda live, user: services.post_need(
            participant=_first(Participant, live), text="A brand new need for the walk"
        ),
    ),
    "need_edited": (
        Phase.NEEDS,
        None,
        lambda live, user: services.edit_need(
            participant=_author_of_a_need(live),
            need=_first(Need, live, author=_author_of_a_need(live)),
            text="Edited words for the walk",
        ),
    ),
    "need_corrected": (
        Phase.NEEDS,
        None,
        lambda live, user: services.correct_need(
            actor=user, need=_first(Need, live), text="Corrected words", context=""
        ),
    ),
    "need_withdrawn": (
        Phase.VOTING,
        None,
        lambda live, user: services.delete_need(
            participant=_author_of_a_need(live),
            need=_first(Need, live, author=_author_of_a_need(live)),
        ),
    ),
    "need_mapped": (
        Phase.MAPPING,
        None,
        lambda live, user: services.map_need(
            participant=_first(Participant, live),
            need=_first(Need, live),
            strategies=[Strategy.objects.filter(taxonomy=live.taxonomy).order_by("-pk").first()],
        ),
    ),
    "mapping_withdrawn": (
        Phase.MAPPING,
        None,
        lambda live, user: services.delete_mapping(
            participant=_first(Mapping, live).author, mapping=_first(Mapping, live)
        ),
    ),
    "dots_changed": (
        Phase.VOTING,
        lambda live, user: services.configure_session(live_session=live, actor=user, dot_budget=50),
        lambda live, user: services.add_dot(
            participant=Participant.objects.filter(live_session=live).order_by("-pk").first(),
            need=_first(Need, live),
        ),
    ),
    "gap_noted": (
        Phase.GAPS,
        None,
        lambda live, user: services.annotate_gap(
            participant=_first(Participant, live),
            kind="awareness",
            text="Nobody studied this for us",
            mapping=_first(Mapping, live),
        ),
    ),
    "gap_withdrawn": (
        Phase.GAPS,
        None,
        lambda live, user: services.delete_gap_note(
            participant=_first(GapNote, live).author, gap_note=_first(GapNote, live)
        ),
    ),
    "phase_changed": (
        Phase.NEEDS,
        None,
        lambda live, user: services.set_phase(live_session=live, phase=Phase.MAPPING, actor=user),
    ),
    "timer_changed": (
        Phase.NEEDS,
        None,
        lambda live, user: services.set_timer(
            live_session=live, actor=user, command="start", minutes=5
        ),
    ),
    "input_lock_changed": (
        Phase.NEEDS,
        None,
        lambda live, user: services.set_input_lock(live_session=live, actor=user, locked=True),
    ),
    "announcement_changed": (
        Phase.NEEDS,
        None,
        lambda live, user: services.announce(live_session=live, actor=user, text="Coffee"),
    ),
    "spotlight_changed": (
        Phase.VOTING,
        None,
        lambda live, user: services.spotlight(
            live_session=live, actor=user, need=_first(Need, live)
        ),
    ),
    "results_revealed": (
        Phase.WRAPUP,
        None,
        lambda live, user: services.reveal_results(live_session=live, actor=user, revealed=True),
    ),
    "door_changed": (
        Phase.LOBBY,
        None,
        lambda live, user: services.set_door(live_session=live, actor=user, closed=True),
    ),
    "settings_changed": (
        Phase.VOTING,
        None,
        lambda live, user: services.configure_session(live_session=live, actor=user, dot_budget=9),
    ),
    "need_moderated": (
        Phase.VOTING,
        None,
        lambda live, user: services.moderate(
            actor=user, contribution=_first(Need, live), status=HIDDEN
        ),
    ),
    "mapping_moderated": (
        Phase.MAPPING,
        None,
        lambda live, user: services.moderate(
            actor=user, contribution=_first(Mapping, live), status=HIDDEN
        ),
    ),
    "gap_note_moderated": (
        Phase.GAPS,
        None,
        lambda live, user: services.moderate(
            actor=user, contribution=_first(GapNote, live), status=HIDDEN
        ),
    ),
    "needs_merged": (Phase.VOTING, None, _merge),
    "merge_undone": (
        Phase.VOTING,
        _merge,
        lambda live, user: services.undo_merge(
            actor=user, merge=NeedMerge.objects.get(live_session=live, undone_at__isnull=True)
        ),
    ),
    "contributions_purged": (
        Phase.WRAPUP,
        None,
        lambda live, user: services.purge_contributions(live_session=live, actor=user),
    ),
}


def test_the_walk_covers_every_kind_of_event():
    assert set(ACTIONS) == set(KINDS)


def _look(live_session):
    """Every board region and the phones' results, each rendered alone from its own reader."""
    live_session = LiveSession.objects.select_related("taxonomy").get(pk=live_session.pk)
    shown = {}
    for region in [*regions.BOARD_REGIONS, regions.RESULTS]:
        data = {}
        if region.reader is not None:
            data = region.reader(live_session, {})
        elif region.name == "need_cards":  # the cards of every need, as an update carries them
            ids = list(Need.objects.filter(live_session=live_session).values_list("pk", flat=True))
            data = {"tallies": queries.needs(live_session, ids=ids)}
        context = {
            "live_session": live_session,
            "change": Change(),
            "upserts": False,
            "newest": None,
            **data,
        }
        shown[region.name] = render_to_string(region.partial, context)
    return live_session, shown


@pytest.mark.parametrize("kind", sorted(ACTIONS))
def test_every_region_an_event_changes_is_redrawn_on_every_screen(room, kind, capture_live_events):
    live, user = room
    phase, setup, action = ACTIONS[kind]
    _phase(live, phase)
    live.refresh_from_db()
    if setup:
        setup(live, user)
    live, before = _look(live)

    with capture_live_events() as events:
        action(live, user)
    live, after = _look(live)

    # What a region shows moved: the event's facts redraw it, or the region that keeps its
    # items in step (all the events of the action: a dot from someone new also counts them).
    assert kind in [event.kind for event in events]
    change = Change()
    for event in events:
        change.merge(event.facts())
    redrawn = {region.name for region in regions.touched(live, change, regions.BOARD_REGIONS)}
    redrawn |= {region.name for region in regions.touched(live, change, [regions.RESULTS])}
    if change.phase_changed or "screen" in change.regions:
        redrawn |= set(regions.REGIONS)  # the whole screen
    # The regions of the screen where it happened (a region of another phase's screen is read
    # whole when that screen comes), and the phones' own regions of that phase.
    shown = {region.name for region in regions.screen_regions(phases.PHASES[phase])}
    shown |= {name for name in phases.PHASES[phase].phone_reads if name in regions.PHONE_REGIONS}
    changed = {name for name in shown if before[name] != after[name]}
    missed = {
        name
        for name in changed - redrawn
        if regions.REGIONS.get(name) is None or regions.REGIONS[name].kept_by not in redrawn
    }
    assert not missed, f"{kind} changed {sorted(missed)} without a redraw"

    # On each phase's screen, an update pushes exactly the screen's regions whose facts the
    # event touched, in their declared order (or the whole screen).
    change = next(event for event in events if event.kind == kind).facts()
    for phase in phases.PHASES:
        LiveSession.objects.filter(pk=live.pk).update(phase=phase)
        live = LiveSession.objects.select_related("taxonomy").get(pk=live.pk)
        facts = regions.facts(live, change)
        screen = regions.screen_regions(phases.PHASES[phase])

        data = regions.board_data(live, change)

        pushed = [region.name for region in data["regions"]]
        if change.phase_changed or "screen" in change.regions:
            assert data["board_screen"] is True
            assert pushed == list(regions.ON_EVERY_SCREEN)
        else:
            assert data["board_screen"] is False
            assert pushed == [region.name for region in screen if region.depends_on & facts]


def test_templates_read_a_phase_by_its_declaration_never_by_its_name():
    """What a phase allows is declared once (sessions.phases.PHASES); a template testing the
    session's phase by name would drift from it when a phase changes."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    by_name = re.compile(r"phase\s*[!=]=\s*['\"]")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("sessions/templates", "templates")
        for path in sorted((root / folder).rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if by_name.search(line)
    ]
    assert offenders == []


def test_evidence_is_published_only_where_a_phase_declares_it():
    publishing = [spec.value for spec in phases.PHASES.values() if spec.publishes_evidence]
    assert publishing == [Phase.WRAPUP]
