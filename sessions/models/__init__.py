"""A live session and what participants contribute to it.

Everything a participant writes hangs off their Participant row with CASCADE, so erasing a
participant erases their needs, mappings, votes and gap notes in one delete; and everything
kept about a facilitator's action on it (a correction's previous text, what a merge moved)
hangs off the contribution, so it goes too. The moderation log only points at rows (SET_NULL):
it holds no participant's words and no id of theirs once they are erased.

The models are split by concern, one module each; Django sees the same models (app label
``live_sessions``), and ``from sessions.models import Need`` reads as before.

    session.py        LiveSession, the join code and the lengths of what people type
    people.py         Participant, RemovedBrowser
    contributions.py  Need, Mapping, Vote (CountedVotes), GapNote, ClientWrite
    moderation.py     MergeSuggestion, NeedCorrection, NeedMerge and what a merge moved,
                      ModerationAction
    evidence.py       EvidenceRelease"""

from sessions.models.contributions import (
    CLIENT_KEY_MAX_LENGTH,
    ClientWrite,
    Contribution,
    CountedVotes,
    GapNote,
    Mapping,
    Need,
    Vote,
)
from sessions.models.evidence import (
    EvidenceRelease,
)
from sessions.models.moderation import (
    MergedDots,
    MergedGapNote,
    MergedMapping,
    MergeSuggestion,
    ModerationAction,
    NeedCorrection,
    NeedMerge,
)
from sessions.models.people import (
    Participant,
    RemovedBrowser,
)
from sessions.models.session import (
    ANNOUNCEMENT_MAX_LENGTH,
    CONTEXT_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    GAP_MAX_LENGTH,
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    NEED_MAX_LENGTH,
    REASON_MAX_LENGTH,
    LiveSession,
    all_phases,
    new_join_code,
)

__all__ = [
    "ANNOUNCEMENT_MAX_LENGTH",
    "CLIENT_KEY_MAX_LENGTH",
    "CONTEXT_MAX_LENGTH",
    "ClientWrite",
    "Contribution",
    "CountedVotes",
    "DISPLAY_NAME_MAX_LENGTH",
    "EvidenceRelease",
    "GAP_MAX_LENGTH",
    "GapNote",
    "JOIN_CODE_ALPHABET",
    "JOIN_CODE_LENGTH",
    "LiveSession",
    "Mapping",
    "MergeSuggestion",
    "MergedDots",
    "MergedGapNote",
    "MergedMapping",
    "ModerationAction",
    "NEED_MAX_LENGTH",
    "Need",
    "NeedCorrection",
    "NeedMerge",
    "Participant",
    "REASON_MAX_LENGTH",
    "RemovedBrowser",
    "Vote",
    "all_phases",
    "new_join_code",
]
