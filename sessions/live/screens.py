"""The projector board's screens: one per phase, each showing its own regions of the live
state (templates in sessions/templates/sessions/board/screens.html).

Besides the phase banner, the counts, the spotlight and whether the door is closed, which
every screen has, the lobby shows who is arriving, needs the newest needs, mapping the heat of
every strategy (and the newest needs, to map), voting the rankings and the dots left, gaps the
notes by kind, and wrap-up the reveal. A phase change redraws the whole screen; any other change only the regions of the
current screen that it touched, read once for every board of the session."""

from collections.abc import Callable

from sessions import queries
from sessions.enums import Phase
from sessions.live.change import Change
from sessions.models import LiveSession

SCREENS: dict[str, frozenset[str]] = {
    Phase.LOBBY: frozenset({"arrivals"}),
    Phase.NEEDS: frozenset({"newest_needs"}),
    Phase.MAPPING: frozenset({"newest_needs", "grid", "split"}),
    Phase.VOTING: frozenset({"ranking", "strategy_ranking"}),
    Phase.GAPS: frozenset({"gap_board"}),
    Phase.WRAPUP: frozenset({"wrap_up"}),
}
ON_EVERY_SCREEN = frozenset({"counts", "spotlight", "door"})

READERS: dict[str, Callable[[LiveSession, dict], dict]] = {
    "counts": lambda live_session, _: {"counts": queries.participant_counts(live_session)},
    "spotlight": lambda live_session, _: {"spotlight": queries.spotlight(live_session)},
    "door": lambda live_session, _: {"door": {"closed": live_session.door_closed}},
    "arrivals": lambda live_session, _: {"arrivals": queries.recent_arrivals(live_session)},
    "newest_needs": lambda live_session, _: _newest(queries.newest_needs(live_session)),
    "needs_total": lambda live_session, _: {"needs_total": queries.needs_total(live_session)},
    "grid": lambda live_session, _: {"grid": queries.grid(live_session)},
    "split": lambda live_session, _: {"split": queries.approach_split(live_session)},
    "ranking": lambda live_session, _: {"ranking": queries.need_ranking(live_session)},
    "strategy_ranking": lambda live_session, _: {
        "strategy_ranking": queries.strategy_ranking(live_session)
    },
    # The participants' gap notes are read for their update anyway: the board reuses them.
    "gap_board": lambda live_session, shared: {
        "gap_board": queries.gap_board(
            shared["gap_groups"] if "gap_groups" in shared else queries.gap_notes(live_session)
        )
    },
    "wrap_up": lambda live_session, _: {"wrap_up": queries.wrap_up(live_session)},
}


def _newest(newest: queries.NewestNeeds) -> dict:
    return {"newest": newest, "needs_total": newest.total}


def screen_of(live_session: LiveSession) -> str:
    return live_session.phase if live_session.phase in SCREENS else Phase.LOBBY


def _touched(live_session: LiveSession, change: Change) -> set[str]:
    """The board regions, of any screen, that ``change`` redraws."""
    regions = change.regions
    needs_moved = bool(change.needs_changed or change.needs_removed or "all_needs" in regions)
    touched: set[str] = set()
    if "counts" in regions:  # people or needs came or went; the room's dots with them
        touched |= {"counts", "arrivals", "needs_total", "ranking"}
    if needs_moved:
        touched |= {"needs_total", "ranking"}
    if "all_needs" in regions:
        touched.add("newest_needs")
    if change.tallies:
        touched.add("ranking")
    if "grid" in regions:
        touched |= {"grid", "strategy_ranking", "wrap_up"}
    if "split" in regions:
        touched |= {"split", "wrap_up"}
    if "gaps" in regions:
        touched.add("gap_board")
    if "reveal" in regions:
        touched.add("wrap_up")
    if "door" in regions:
        touched.add("door")
    spotlit = live_session.spotlight_need_id
    if "spotlight" in regions or (
        spotlit and spotlit in change.needs_changed | change.needs_removed
    ):
        touched.add("spotlight")
    return touched


def board_data(live_session: LiveSession, change: Change, shared: dict | None = None) -> dict:
    """What the boards of the session redraw after ``change``: the whole screen of the current
    phase (``board_screen``) after a phase change or for a screen that is behind, else the
    regions of that screen the change touched. ``shared``: what was read for the phones."""
    screen = screen_of(live_session)
    shown = SCREENS[screen] | ON_EVERY_SCREEN
    whole = change.phase_changed or "screen" in change.regions
    if whole:
        wanted = set(shown)
    else:
        wanted = _touched(live_session, change) & (
            shown | ({"needs_total"} if "newest_needs" in shown else set())
        )
    data: dict = {"screen": screen, "board_screen": whole}
    for name in sorted(wanted):
        data.update(READERS[name](live_session, shared or {}))
    return data


def board_context(live_session: LiveSession) -> dict:
    """Everything the board page shows now (its screen for the current phase)."""
    return {"live_session": live_session, **board_data(live_session, Change.everything())}
