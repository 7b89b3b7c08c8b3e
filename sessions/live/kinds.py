"""The kinds of live event: one frozen dataclass each, with its fields, checked when it is made
(a wrong or missing field raises TypeError at the service that emits it, not later in the
render), and the facts it changes (``facts``: a Change, sessions.live.change).

An event says what happened, never which region to redraw (Zulip's actions layer, and its
``event_schema.py`` for typed events): which regions of which screen redraw is derived from
the facts, by the regions' declarations (sessions.live.regions). Pure: imports no renderer,
so the live layer can import it without a circle."""

import functools
import types
import typing
from dataclasses import dataclass, fields
from typing import ClassVar

from sessions.live.change import ALL_REGIONS, Change

# Every fact a contribution can show up in: the counts, the grid's cells, the approach split
# and the gap notes (which quote needs).
EVERYWHERE = frozenset({"counts", "grid", "split", "gaps"})

KINDS: dict[str, type["LiveEvent"]] = {}


@dataclass(frozen=True)
class LiveEvent:
    """What happened in one live session. ``kind`` names it (``need_posted``...); the fields
    of each subclass hold the ids it concerns."""

    live_session_id: int
    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        KINDS[cls.kind] = cls

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for field in fields(self):
            value = getattr(self, field.name)
            expected = hints[field.name]
            if expected == tuple[int, ...]:
                if isinstance(value, list | tuple | set | frozenset):
                    value = tuple(value)
                    object.__setattr__(self, field.name, value)
                if not isinstance(value, tuple) or not all(_is_int(item) for item in value):
                    raise TypeError(f"{self.kind}.{field.name}: ids expected, got {value!r}")
            elif not _matches(value, expected):
                raise TypeError(f"{self.kind}.{field.name}: {expected} expected, got {value!r}")

    @property
    def details(self) -> dict:
        """Its fields other than the session, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "live_session_id"}

    def facts(self) -> Change:
        raise NotImplementedError


@functools.cache
def _hints(cls: type) -> dict:
    return typing.get_type_hints(cls)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _matches(value, expected) -> bool:
    if isinstance(expected, types.UnionType):
        return any(_matches(value, option) for option in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if expected is int:
        return _is_int(value)
    return isinstance(value, expected)


def event_of(kind: str, live_session_id: int, details: dict | None = None) -> LiveEvent:
    """The event of ``kind`` with ``details`` as its fields (tests, benches)."""
    return KINDS[kind](live_session_id, **(details or {}))


# --- people ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantJoined(LiveEvent):
    participant_id: int
    kind: ClassVar[str] = "participant_joined"

    def facts(self) -> Change:
        return Change.of(regions={"counts"})


@dataclass(frozen=True)
class ParticipantUpdated(LiveEvent):
    """Their presence (room or remote) or the name they show changed."""

    participant_id: int
    kind: ClassVar[str] = "participant_updated"

    def facts(self) -> Change:
        # Names and remote badges are on every need card.
        return Change.of(regions={"counts", "all_needs"})


@dataclass(frozen=True)
class ParticipantErased(LiveEvent):
    """A participant erased themselves. ``written``: their needs, gone from the screens;
    ``touched``: others' needs that lose their dots or mappings."""

    written: tuple[int, ...]
    touched: tuple[int, ...]
    kind: ClassVar[str] = "participant_erased"

    def facts(self) -> Change:
        # The spotlight too: it may have shown one of their needs, gone with them.
        return Change.of(
            regions=EVERYWHERE | {"spotlight"},
            needs_removed=self.written,
            needs_changed=self.touched,
        )


@dataclass(frozen=True)
class ParticipantRemoved(ParticipantErased):
    """A facilitator removed a participant; ``public_id`` names them, so that their own
    screen can tell."""

    public_id: str
    kind: ClassVar[str] = "participant_removed"

    def facts(self) -> Change:
        change = super().facts()
        # A removed person's own phone is told, so that it stops offering actions.
        change.removed_people = {self.public_id} if self.public_id else set()
        return change


@dataclass(frozen=True)
class ParticipantRestored(LiveEvent):
    """A facilitator undid a removal; ``needs``: the participant's needs shown again."""

    participant_id: int
    needs: tuple[int, ...]
    kind: ClassVar[str] = "participant_restored"

    def facts(self) -> Change:
        return Change.of(regions=EVERYWHERE, needs_changed=self.needs)


# --- contributions --------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedPosted(LiveEvent):
    need_id: int
    kind: ClassVar[str] = "need_posted"

    def facts(self) -> Change:
        return Change.of(regions={"counts"}, needs_changed=[self.need_id])


@dataclass(frozen=True)
class NeedEdited(LiveEvent):
    need_id: int
    kind: ClassVar[str] = "need_edited"

    def facts(self) -> Change:
        # The grid quotes the most-dotted needs.
        return Change.of(regions={"grid"}, needs_changed=[self.need_id])


@dataclass(frozen=True)
class NeedCorrected(NeedEdited):
    """A facilitator corrected the need's text."""

    kind: ClassVar[str] = "need_corrected"


@dataclass(frozen=True)
class NeedWithdrawn(LiveEvent):
    need_id: int
    kind: ClassVar[str] = "need_withdrawn"

    def facts(self) -> Change:
        return Change.of(regions=EVERYWHERE, needs_removed=[self.need_id])


@dataclass(frozen=True)
class NeedMapped(LiveEvent):
    need_id: int
    mapping_ids: tuple[int, ...]
    kind: ClassVar[str] = "need_mapped"

    def facts(self) -> Change:
        return Change.of(regions={"grid", "split"}, needs_changed=[self.need_id])


@dataclass(frozen=True)
class MappingWithdrawn(LiveEvent):
    need_id: int
    mapping_id: int
    kind: ClassVar[str] = "mapping_withdrawn"

    def facts(self) -> Change:
        return Change.of(regions={"grid", "gaps", "split"}, needs_changed=[self.need_id])


@dataclass(frozen=True)
class DotsChanged(LiveEvent):
    """A participant placed or took back a dot on a need, or on one of its mappings."""

    need_id: int
    mapping_id: int | None = None
    kind: ClassVar[str] = "dots_changed"

    def facts(self) -> Change:
        # A dot on a mapping also moves the grid's heat and the approach split.
        on_mapping = self.mapping_id is not None
        return Change.of(regions={"grid", "split"} if on_mapping else (), tallies=[self.need_id])


@dataclass(frozen=True)
class GapNoted(LiveEvent):
    gap_note_id: int
    strategy_id: int
    kind: ClassVar[str] = "gap_noted"

    def facts(self) -> Change:
        return Change.of(regions={"gaps", "grid"})


@dataclass(frozen=True)
class GapWithdrawn(LiveEvent):
    gap_note_id: int
    kind: ClassVar[str] = "gap_withdrawn"

    def facts(self) -> Change:
        return Change.of(regions={"gaps", "grid"})


# --- facilitation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseChanged(LiveEvent):
    phase: str
    kind: ClassVar[str] = "phase_changed"

    def facts(self) -> Change:
        return Change.of(regions={"spotlight"}, phase_changed=True)


@dataclass(frozen=True)
class TimerChanged(LiveEvent):
    kind: ClassVar[str] = "timer_changed"

    def facts(self) -> Change:
        return Change.of(regions={"phase"})


@dataclass(frozen=True)
class InputLockChanged(LiveEvent):
    locked: bool
    kind: ClassVar[str] = "input_lock_changed"

    def facts(self) -> Change:
        # Locking changes what a participant can do, as a new phase does.
        return Change.of(phase_changed=True)


@dataclass(frozen=True)
class AnnouncementChanged(LiveEvent):
    kind: ClassVar[str] = "announcement_changed"

    def facts(self) -> Change:
        return Change.of(regions={"phase"})


@dataclass(frozen=True)
class SpotlightChanged(LiveEvent):
    """A need or a strategy is in the spotlight now (both None: it was cleared)."""

    need_id: int | None
    strategy_id: int | None
    kind: ClassVar[str] = "spotlight_changed"

    def facts(self) -> Change:
        return Change.of(regions={"spotlight"})


@dataclass(frozen=True)
class ResultsRevealed(LiveEvent):
    """A facilitator showed the results on the board at wrap-up, or hid them again."""

    revealed: bool
    kind: ClassVar[str] = "results_revealed"

    def facts(self) -> Change:
        return Change.of(regions={"reveal"})


@dataclass(frozen=True)
class DoorChanged(LiveEvent):
    """A facilitator closed the door to new participants, or opened it again."""

    closed: bool
    kind: ClassVar[str] = "door_changed"

    def facts(self) -> Change:
        # The board says the door is closed (or open again); the phones already in are not
        # affected.
        return Change.of(regions={"door"})


@dataclass(frozen=True)
class SettingsChanged(LiveEvent):
    kind: ClassVar[str] = "settings_changed"

    def facts(self) -> Change:
        return Change.of(regions=ALL_REGIONS)


@dataclass(frozen=True)
class NeedModerated(LiveEvent):
    """A facilitator hid, restored or approved a need."""

    status: str
    need_id: int | None
    kind: ClassVar[str] = "need_moderated"

    def facts(self) -> Change:
        return Change.of(regions=EVERYWHERE, needs_changed=[self.need_id])


@dataclass(frozen=True)
class MappingModerated(NeedModerated):
    kind: ClassVar[str] = "mapping_moderated"

    def facts(self) -> Change:
        # Hiding a mapping also takes the gap notes on it off the board.
        return Change.of(regions={"grid", "split", "gaps"}, needs_changed=[self.need_id])


@dataclass(frozen=True)
class GapNoteModerated(NeedModerated):
    kind: ClassVar[str] = "gap_note_moderated"

    def facts(self) -> Change:
        return Change.of(regions={"gaps", "grid"})


@dataclass(frozen=True)
class NeedsMerged(LiveEvent):
    need_id: int
    duplicate_id: int
    kind: ClassVar[str] = "needs_merged"

    def facts(self) -> Change:
        return Change.of(
            regions=EVERYWHERE, needs_changed=[self.need_id], needs_removed=[self.duplicate_id]
        )


@dataclass(frozen=True)
class MergeUndone(NeedsMerged):
    """A merge was undone: the duplicate is a need of its own again, with what moved back."""

    kind: ClassVar[str] = "merge_undone"

    def facts(self) -> Change:
        return Change.of(regions=EVERYWHERE, needs_changed=[self.need_id, self.duplicate_id])


@dataclass(frozen=True)
class ContributionsPurged(LiveEvent):
    kind: ClassVar[str] = "contributions_purged"

    def facts(self) -> Change:
        return Change.of(regions=ALL_REGIONS)
