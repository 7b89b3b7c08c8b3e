"""Write side of live sessions: one function per use case, each one transaction.

Services validate again what forms validated (they are also called from consumers, commands and
tests), refuse with a SessionError subclass carrying a message a participant can read and the
HTTP status that answers it, and tell sessions.live.events what happened, which reaches the
screens only after commit. ``from sessions import services`` offers every use case."""

from sessions.moderation_log import can_undo
from sessions.services.common import (
    JOINS_PER_MINUTE_PER_BROWSER,
    JOINS_PER_MINUTE_PER_SESSION,
    NEEDS_PER_MINUTE,
    NEEDS_PER_MINUTE_PER_SESSION,
    WRITES_PER_MINUTE,
    clean_text,
    merged_away,
)
from sessions.services.contributions import (
    annotate_gap,
    delete_gap_note,
    delete_mapping,
    delete_need,
    edit_need,
    map_need,
    post_need,
)
from sessions.services.door import remove_silent_burst, restore_burst, set_door
from sessions.services.errors import (
    BudgetExhausted,
    CapReached,
    Conflict,
    DoorClosed,
    InvalidInput,
    NotYours,
    ParticipantRemoved,
    PhaseClosed,
    PrivacyBudgetSpent,
    ProofRefused,
    SessionError,
    TooFast,
)
from sessions.services.facilitation import (
    add_facilitator,
    announce,
    configure_session,
    create_from_template,
    create_live_session,
    duplicate_session,
    next_phase,
    remove_facilitator,
    reveal_results,
    set_close_at_zero,
    set_input_lock,
    set_phase,
    set_timer,
    spotlight,
)
from sessions.services.joining import erase_participant, join_session, touch, update_participant
from sessions.services.merging import merge_needs
from sessions.services.moderation import (
    correct_need,
    moderate,
    purge_contributions,
    remove_participant,
    restore_participant,
)
from sessions.services.publishing import evidence_budget, publish_evidence, unpublish_evidence
from sessions.services.replays import already_written
from sessions.services.suggestions import dismiss_merge_suggestion, refresh_merge_suggestions
from sessions.services.undoing import undo
from sessions.services.unmerging import undo_merge
from sessions.services.voting import add_dot, remove_dot

__all__ = [
    "JOINS_PER_MINUTE_PER_BROWSER",
    "JOINS_PER_MINUTE_PER_SESSION",
    "NEEDS_PER_MINUTE",
    "NEEDS_PER_MINUTE_PER_SESSION",
    "WRITES_PER_MINUTE",
    "BudgetExhausted",
    "CapReached",
    "Conflict",
    "DoorClosed",
    "InvalidInput",
    "NotYours",
    "ParticipantRemoved",
    "PhaseClosed",
    "PrivacyBudgetSpent",
    "ProofRefused",
    "SessionError",
    "TooFast",
    "add_dot",
    "add_facilitator",
    "can_undo",
    "already_written",
    "announce",
    "annotate_gap",
    "clean_text",
    "configure_session",
    "correct_need",
    "create_from_template",
    "create_live_session",
    "delete_gap_note",
    "delete_mapping",
    "delete_need",
    "dismiss_merge_suggestion",
    "duplicate_session",
    "edit_need",
    "erase_participant",
    "evidence_budget",
    "join_session",
    "map_need",
    "merge_needs",
    "merged_away",
    "moderate",
    "next_phase",
    "post_need",
    "publish_evidence",
    "purge_contributions",
    "refresh_merge_suggestions",
    "remove_dot",
    "remove_facilitator",
    "remove_participant",
    "remove_silent_burst",
    "restore_burst",
    "restore_participant",
    "reveal_results",
    "set_door",
    "set_input_lock",
    "set_phase",
    "set_close_at_zero",
    "set_timer",
    "spotlight",
    "touch",
    "undo",
    "undo_merge",
    "unpublish_evidence",
    "update_participant",
]
