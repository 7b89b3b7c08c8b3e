"""The regions of the live screens, each declared once: its partial, its reader and the facts
it depends on (OpenSlides 3's projector elements, which declare what they need).

A fact is something an event changed (sessions.live.kinds declares, per kind, a Change; its
``regions`` are facts by name, and ``facts`` below adds the derived ones): ``phase`` (the
phase banner: phase, timer, announcement, lock), ``counts`` (people, or needs, came or went),
``needs`` (some need cards changed, came or went), ``all_needs`` (every need card: names and
badges), ``dots`` (dot totals), ``grid`` (mappings, their dots, the gap notes and needs the grid
quotes), ``split`` (mappings and their dots by approach), ``gaps`` (gap notes), ``spotlight``,
``reveal`` (the results shown at wrap-up), ``door``, and ``screen`` (the whole screen).

Which regions redraw after a change is derived: those of the current screen whose facts it
touched (``touched``); a phase change redraws the whole screen. Adding a region is one entry in
REGIONS and one partial; a phase names its regions (sessions.phases). No rule is written by
hand, and tests/sessions/live/test_regions.py walks every event kind against every region."""

from collections.abc import Callable
from dataclasses import dataclass

from sessions import phases, queries
from sessions.live.change import ALL_REGIONS, Change
from sessions.models import LiveSession

SCREENS = "sessions/board/screens.html"

# Facts derived from a change besides those it names (ALL_REGIONS).
FACTS = ALL_REGIONS | {"needs", "dots"}

Reader = Callable[[LiveSession, dict], dict]


@dataclass(frozen=True)
class Region:
    """``partial``: the template fragment pushed out of band (with ``oob`` set), reading what
    ``reader`` returned (``reader(live_session, shared)``; ``shared``: what was read for the
    other audience's update, to reuse). A region without a reader shows what the update read
    for every audience (need cards, the phase banner). ``key`` (its name unless given): what its
    reader fills; it is not read again when another region's reader filled it already.
    ``kept_by``: the region that keeps its items in step between its own redraws (the newest
    needs: their cards come, go and change one by one)."""

    name: str
    partial: str
    depends_on: frozenset[str]
    reader: Reader | None = None
    key: str = ""
    kept_by: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.key or self.name)
        unknown = self.depends_on - FACTS
        if unknown:
            raise ValueError(f"region {self.name}: unknown facts {sorted(unknown)}")


def _newest(live_session: LiveSession, _shared: dict) -> dict:
    newest = queries.newest_needs(live_session)
    return {"newest": newest, "needs_total": newest.total}


def _gap_board(live_session: LiveSession, shared: dict) -> dict:
    # The participants' gap notes are read for their update anyway: the board reuses them.
    notes = shared["gap_groups"] if "gap_groups" in shared else queries.gap_notes(live_session)
    return {"gap_board": queries.gap_board(notes)}


def _read(key: str, query: Callable[[LiveSession], object]) -> Reader:
    return lambda live_session, _shared: {key: query(live_session)}


# The board's regions, in the order an update pushes them.
BOARD_REGIONS: tuple[Region, ...] = (
    # The banner's prompt reads the door in the lobby (LiveSession.prompt_now).
    Region("phase", "sessions/partials/live.html#phase-banner", frozenset({"phase", "door"})),
    Region(
        "counts",
        f"{SCREENS}#counts",
        frozenset({"counts"}),
        _read("counts", queries.participant_counts),
    ),
    Region(
        "spotlight",
        f"{SCREENS}#spotlight",
        frozenset({"spotlight"}),
        _read("spotlight", queries.spotlight),
    ),
    Region(
        "door",
        f"{SCREENS}#door",
        frozenset({"door"}),
        lambda live_session, _shared: {"door": {"closed": live_session.door_closed}},
    ),
    Region(
        "arrivals",
        f"{SCREENS}#arrivals",
        frozenset({"counts"}),
        _read("arrivals", queries.recent_arrivals),
    ),
    Region(
        "newest_needs",
        f"{SCREENS}#newest-needs",
        frozenset({"all_needs"}),
        _newest,
        key="newest",
        kept_by="need_cards",
    ),
    Region(
        "needs_total",
        f"{SCREENS}#needs-total",
        frozenset({"counts", "needs"}),
        _read("needs_total", queries.needs_total),
    ),
    # The cards of needs already shown: new ones, gone ones, new dot totals.
    Region("need_cards", f"{SCREENS}#need-cards", frozenset({"needs", "dots"})),
    Region(
        "ranking",
        f"{SCREENS}#ranking",
        frozenset({"counts", "needs", "dots"}),
        _read("ranking", queries.need_ranking),
    ),
    Region(
        "strategy_ranking",
        f"{SCREENS}#strategy-ranking",
        frozenset({"grid"}),
        _read("strategy_ranking", queries.strategy_ranking),
    ),
    Region("grid", f"{SCREENS}#grid", frozenset({"grid"}), _read("grid", queries.grid)),
    Region(
        "split", f"{SCREENS}#split", frozenset({"split"}), _read("split", queries.approach_split)
    ),
    Region("gap_board", f"{SCREENS}#gap-board", frozenset({"gaps"}), _gap_board),
    Region(
        "wrap_up",
        f"{SCREENS}#wrap-up",
        frozenset({"grid", "split", "reveal"}),
        _read("wrap_up", queries.wrap_up),
    ),
)
REGIONS: dict[str, Region] = {region.name: region for region in BOARD_REGIONS}
ON_EVERY_SCREEN = ("phase", "counts", "spotlight", "door")

# What the phones show of the room's results at wrap-up (sessions/partials/results.html).
RESULTS = Region(
    "results",
    "sessions/partials/results.html#room-results",
    frozenset({"counts", "grid", "split", "gaps", "reveal", "all_needs", "needs", "dots"}),
    lambda live_session, _shared: {
        "results": None if live_session.purged_at else queries.room_results(live_session)
    },
)

# The phones' regions a phase can name (sessions.phases.PhaseSpec.phone_reads); the others
# it names are read by the participant's page only (sessions.views.participant).
PHONE_REGIONS: dict[str, Region] = {RESULTS.name: RESULTS}


def facts(live_session: LiveSession, change: Change) -> set[str]:
    """The facts ``change`` touched: those it names, and those derived from its needs."""
    found = set(change.regions)
    if change.needs_changed or change.needs_removed or "all_needs" in found:
        found.add("needs")
    if change.tallies:
        found.add("dots")
    spotlit = live_session.spotlight_need_id
    if spotlit and spotlit in change.needs_changed | change.needs_removed:
        found.add("spotlight")  # the need in the spotlight changed, or went
    return found


def touched(live_session: LiveSession, change: Change, regions=BOARD_REGIONS) -> list[Region]:
    """The regions among ``regions`` whose facts ``change`` touched, in their order."""
    found = facts(live_session, change)
    return [region for region in regions if region.depends_on & found]


def screen_regions(phase: phases.PhaseSpec) -> list[Region]:
    """The board regions of ``phase``'s screen, with those on every screen, in push order."""
    names = set(phase.board_regions) | set(ON_EVERY_SCREEN)
    return [region for region in BOARD_REGIONS if region.name in names]


def read(live_session: LiveSession, regions: list[Region], shared: dict) -> dict:
    """What ``regions`` show, each reader once (a key one reader filled is not read again)."""
    data: dict = {}
    for region in regions:
        if region.reader is not None and region.key not in data:
            data.update(region.reader(live_session, shared))
    return data


def board_data(live_session: LiveSession, change: Change, shared: dict | None = None) -> dict:
    """What the boards of the session redraw after ``change``: the whole screen of the current
    phase (``board_screen``) after a phase change or for a screen that is behind, else the
    regions of that screen the change touched. ``regions``: those to push, in order, outside
    the whole screen. ``shared``: what was read for the phones."""
    phase = live_session.phase_spec
    shown = screen_regions(phase)
    whole = change.phase_changed or "screen" in change.regions
    wanted = shown if whole else touched(live_session, change, shown)
    data = read(live_session, wanted, shared or {})
    data.update(
        screen=phase.value,
        screen_partial=phase.board_screen,
        board_screen=whole,
        regions=[r for r in wanted if r.name in ON_EVERY_SCREEN] if whole else wanted,
        # New needs are added to the screen's list of the newest, if it shows one.
        upserts="newest_needs" in phase.board_regions,
    )
    return data


def board_context(live_session: LiveSession) -> dict:
    """Everything the board page shows now (its screen for the current phase)."""
    return {"live_session": live_session, **board_data(live_session, Change.everything())}


def _check_declarations() -> None:
    for spec in phases.PHASES.values():
        unknown = set(spec.board_regions) - set(REGIONS)
        if unknown:
            raise ValueError(f"phase {spec.value}: unknown board regions {sorted(unknown)}")


_check_declarations()
