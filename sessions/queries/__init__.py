"""The one read layer of live sessions: what the board, the phones, the dashboard, the exports
and the evidence pages read. Views, the live layer (the regions' readers, sessions.live.regions) and the
exporters call these functions; none of them queries the ORM for what a screen shows.

    visibility.py  the one visibility rule: which rows count (Visibility), and the one
                   per-row total subquery (dots on a need or a mapping, mappings of a need)
    stats.py       the statistics (counts, demand per strategy, heat, splits, gap notes by
                   kind), read through a Visibility, so a number means the same everywhere
    reveal.py      the wrap-up's reveal: demand against the research's attention
    evidence.py    what a finished session adds to the evidence across workshops
    common.py      what every live screen reads (needs and their dots, grid, spotlight, ...)
    board.py       the projector's screens and the room's results
    dashboard.py   what only the facilitators' dashboard reads (moderation, suggestions, ...)
    door.py        the dashboard's door panel

Every function runs a fixed number of queries, whatever the size of the session, and reads
what the board shows unless it says otherwise. ``from sessions import queries`` offers the
screens' functions; the statistics are ``from sessions.queries import stats``."""

from sessions.queries.board import (
    GapBoard,
    GapKindShown,
    NeedRanking,
    NewestNeeds,
    Ranked,
    RoomResults,
    WrapUp,
    gap_board,
    need_ranking,
    needs_total,
    newest_needs,
    recent_arrivals,
    room_results,
    strategy_ranking,
    wrap_up,
)
from sessions.queries.common import (
    NEEDS_ON_SCREEN,
    VISIBLE,
    NeedPage,
    activity,
    approach_split,
    dots_in,
    dots_left,
    gap_notes,
    grid,
    hybrid_balance,
    needs,
    needs_page,
    participant_counts,
    pending_needs,
    personal_dots,
    posted_need,
    spotlight,
    strategies_of,
    strategy_choices,
)
from sessions.queries.dashboard import (
    dashboard_session,
    facilitated_sessions,
    merge_suggestions,
    moderation_queue,
    needs_for_moderation,
    participants,
    recent_gap_notes,
    strategies,
)
from sessions.queries.door import DoorActivity, door_activity, silent_burst

__all__ = [
    "NEEDS_ON_SCREEN",
    "VISIBLE",
    "DoorActivity",
    "GapBoard",
    "GapKindShown",
    "NeedPage",
    "NeedRanking",
    "NewestNeeds",
    "Ranked",
    "RoomResults",
    "WrapUp",
    "activity",
    "approach_split",
    "dashboard_session",
    "door_activity",
    "facilitated_sessions",
    "dots_in",
    "dots_left",
    "gap_board",
    "gap_notes",
    "grid",
    "hybrid_balance",
    "merge_suggestions",
    "moderation_queue",
    "need_ranking",
    "needs",
    "needs_for_moderation",
    "needs_page",
    "needs_total",
    "newest_needs",
    "participant_counts",
    "participants",
    "pending_needs",
    "posted_need",
    "personal_dots",
    "recent_arrivals",
    "recent_gap_notes",
    "room_results",
    "silent_burst",
    "spotlight",
    "strategies",
    "strategies_of",
    "strategy_choices",
    "strategy_ranking",
    "wrap_up",
]
