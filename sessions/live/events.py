"""What happened in a live session, in domain words: the only module services call to tell
the screens.

Each function is called inside the service's transaction. It schedules the event, a typed
one (sessions.live.kinds: each kind a dataclass, checked when it is made), for after commit,
when the session's sequence number is bumped (so that a screen that reconnects can tell whether
it missed anything) and then ``publish`` hands the facts it changed to the live layer, which
derives what to redraw (sessions.live.regions) and renders it (sessions.live.render). The bump
is not part of the write's transaction: every write of a session would otherwise hold the
session's row lock until its commit, and a plenary's votes would queue on that one row
(docs/performance.md). An event says what happened, never which region to redraw (Zulip's
actions layer and ``send_event_on_commit``). Every call point is covered by a service test
that captures its events (``capture_live_events`` in tests/conftest.py)."""

import logging

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.db.models import F

from sessions.live import coalescer, kinds
from sessions.live.kinds import LiveEvent
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant

__all__ = ["LiveEvent", "publish"]


def publish(event: LiveEvent) -> None:
    """After commit: the live layer renders what the event changed and pushes it."""
    coalescer.coalescer.add(event.live_session_id, event.facts())


logger = logging.getLogger(__name__)


def _bump_sequence(live_session_id: int) -> None:
    """Move the session's sequence number on, after the write it stands for has committed and
    before its push is rendered (the push carries the number it reads then): a screen that
    saw the number before the write sees another one after it, and a push or snapshot with
    the new number was read after the write.

    On PostgreSQL, outside a transaction, one message that is its own transaction: the row
    lock is held only inside PostgreSQL, for one UPDATE, and the commit does not wait for the
    disk (``synchronous_commit`` off for it alone). A crash of PostgreSQL may lose the last
    bumps (never a write: each write commits durably before its bump); a screen back from a
    drop asks for the whole state anyway (static/js/live.js), whatever its number."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(_bump_statement(live_session_id))
        return
    LiveSession.objects.filter(pk=live_session_id).update(sequence=F("sequence") + 1)


def _bump_statement(live_session_id: int) -> str:
    """PostgreSQL: the bump as one message, its own transaction, not waiting for the disk."""
    table = connection.ops.quote_name(LiveSession._meta.db_table)
    pk = int(live_session_id)
    # Several statements in one message take no parameters: the model's own table name,
    # quoted, and an int.
    bump = f"UPDATE {table} SET sequence = sequence + 1 WHERE id = {pk}"  # noqa: S608  # nosec B608
    return f"SET LOCAL synchronous_commit TO OFF; {bump}"


def _publish_and_close(event: LiveEvent) -> None:
    try:
        publish(event)
    finally:
        connection.close()  # the executor's thread keeps no connection of its own


def commit_and_bump_statement(live_session_id: int) -> str:
    """PostgreSQL, for a transaction opened by hand on an autocommit connection
    (sessions.services.quick_votes): its COMMIT and then the bump in one message, one round
    trip; the bump still runs after the commit, as its own transaction."""
    return f"COMMIT; {_bump_statement(live_session_id)}"


async def dots_changed_committed(
    live_session_id: int, *, need_id: int, mapping_id: int | None = None
) -> None:
    """``dots_changed`` for a dot committed, and the sequence bumped, on psycopg's async
    connection (``commit_and_bump_statement``: sessions.services.quick_votes)."""
    await _publish_committed(
        kinds.DotsChanged(live_session_id, need_id=need_id, mapping_id=mapping_id)
    )


async def need_posted_committed(need: Need) -> None:
    """``need_posted`` for a need committed, and the sequence bumped, on psycopg's async
    connection (sessions.services.quick_needs)."""
    await _publish_committed(kinds.NeedPosted(need.live_session_id, need_id=need.pk))


async def need_mapped_committed(need: Need, mappings: list[Mapping]) -> None:
    """``need_mapped`` for mappings committed, and the sequence bumped, on psycopg's async
    connection (sessions.services.quick_mappings)."""
    await _publish_committed(
        kinds.NeedMapped(
            need.live_session_id, need_id=need.pk, mapping_ids=[m.pk for m in mappings]
        )
    )


async def _publish_committed(event: LiveEvent) -> None:
    """What ``_emit`` does after a commit, from the event loop."""
    if coalescer.coalescer.pushes_from_caller():
        # The in-process default (development, tests) renders in the caller, with the ORM.
        await sync_to_async(_publish_and_close, thread_sensitive=False)(event)
    else:
        publish(event)  # hands the change to the coalescer's own thread


def _emit(event: LiveEvent) -> None:
    live_session_id = event.live_session_id

    def publish_after_commit() -> None:  # a named function: Django logs its name on failure
        try:
            _bump_sequence(live_session_id)
        except Exception:
            # The write is saved; screens still get its push (with the number as it was).
            logger.exception("the sequence of session %s could not be bumped", live_session_id)
        publish(event)

    # robust: a channel-layer failure is logged and never turns a saved write into an error.
    transaction.on_commit(publish_after_commit, robust=True)


# --- people ---------------------------------------------------------------------------------


def participant_joined(participant: Participant) -> None:
    _emit(kinds.ParticipantJoined(participant.live_session_id, participant_id=participant.pk))


def participant_updated(participant: Participant) -> None:
    """Their presence (room or remote) or the name they show changed."""
    _emit(kinds.ParticipantUpdated(participant.live_session_id, participant_id=participant.pk))


def participant_left(
    live_session_id: int,
    *,
    written: list[int],
    touched: list[int],
    removed: bool,
    public_id: str = "",
) -> None:
    """A participant erased themselves (``removed`` False) or a facilitator removed them (then
    ``public_id`` names them, so that their own screen can tell). ``written``: their needs,
    gone from the screens; ``touched``: others' needs that lose their dots or mappings."""
    mine, others = sorted(written), sorted(set(touched) - set(written))
    if removed:
        _emit(
            kinds.ParticipantRemoved(
                live_session_id, written=mine, touched=others, public_id=public_id
            )
        )
    else:
        _emit(kinds.ParticipantErased(live_session_id, written=mine, touched=others))


def participant_restored(participant: Participant, *, needs: list[int]) -> None:
    """A facilitator undid a removal; ``needs``: the participant's needs shown again."""
    _emit(
        kinds.ParticipantRestored(
            participant.live_session_id, participant_id=participant.pk, needs=sorted(needs)
        )
    )


# --- contributions --------------------------------------------------------------------------


def need_posted(need: Need) -> None:
    _emit(kinds.NeedPosted(need.live_session_id, need_id=need.pk))


def need_edited(need: Need, *, by_facilitator: bool = False) -> None:
    kind = kinds.NeedCorrected if by_facilitator else kinds.NeedEdited
    _emit(kind(need.live_session_id, need_id=need.pk))


def need_withdrawn(live_session_id: int, need_id: int) -> None:
    _emit(kinds.NeedWithdrawn(live_session_id, need_id=need_id))


def need_mapped(need: Need, mappings: list[Mapping]) -> None:
    _emit(
        kinds.NeedMapped(
            need.live_session_id,
            need_id=need.pk,
            mapping_ids=[mapping.pk for mapping in mappings],
        )
    )


def mapping_withdrawn(live_session_id: int, *, need_id: int, mapping_id: int) -> None:
    _emit(kinds.MappingWithdrawn(live_session_id, need_id=need_id, mapping_id=mapping_id))


def dots_changed(live_session_id: int, *, need_id: int, mapping_id: int | None = None) -> None:
    """A participant placed or took back a dot on a need, or on one of its mappings."""
    _emit(kinds.DotsChanged(live_session_id, need_id=need_id, mapping_id=mapping_id))


def gap_noted(note: GapNote) -> None:
    _emit(kinds.GapNoted(note.live_session_id, gap_note_id=note.pk, strategy_id=note.strategy_id))


def gap_withdrawn(live_session_id: int, gap_note_id: int) -> None:
    _emit(kinds.GapWithdrawn(live_session_id, gap_note_id=gap_note_id))


# --- facilitation ---------------------------------------------------------------------------


def phase_changed(live_session: LiveSession) -> None:
    _emit(kinds.PhaseChanged(live_session.pk, phase=live_session.phase))


def timer_changed(live_session: LiveSession) -> None:
    _emit(kinds.TimerChanged(live_session.pk))


def input_lock_changed(live_session: LiveSession) -> None:
    _emit(kinds.InputLockChanged(live_session.pk, locked=live_session.input_locked))


def announcement_changed(live_session: LiveSession) -> None:
    _emit(kinds.AnnouncementChanged(live_session.pk))


def spotlight_changed(live_session: LiveSession) -> None:
    _emit(
        kinds.SpotlightChanged(
            live_session.pk,
            need_id=live_session.spotlight_need_id,
            strategy_id=live_session.spotlight_strategy_id,
        )
    )


def results_revealed(live_session: LiveSession) -> None:
    """A facilitator showed the results on the board at wrap-up, or hid them again."""
    _emit(kinds.ResultsRevealed(live_session.pk, revealed=live_session.results_revealed))


def door_changed(live_session: LiveSession) -> None:
    """A facilitator closed the door to new participants, or opened it again."""
    _emit(kinds.DoorChanged(live_session.pk, closed=live_session.door_closed))


def settings_changed(live_session: LiveSession) -> None:
    _emit(kinds.SettingsChanged(live_session.pk))


def contribution_moderated(contribution: Need | Mapping | GapNote) -> None:
    """A facilitator hid, restored or approved a need, a mapping or a gap note."""
    need_id = (
        contribution.pk
        if isinstance(contribution, Need)
        else getattr(contribution, "need_id", None)
    )
    kind = {
        Need: kinds.NeedModerated,
        Mapping: kinds.MappingModerated,
        GapNote: kinds.GapNoteModerated,
    }[type(contribution)]
    _emit(kind(contribution.live_session_id, status=contribution.status, need_id=need_id))


def needs_merged(keep: Need, duplicate_id: int) -> None:
    _emit(kinds.NeedsMerged(keep.live_session_id, need_id=keep.pk, duplicate_id=duplicate_id))


def merge_undone(keep: Need, duplicate: Need) -> None:
    """A merge was undone: the duplicate is a need of its own again, with what moved back."""
    _emit(kinds.MergeUndone(keep.live_session_id, need_id=keep.pk, duplicate_id=duplicate.pk))


def contributions_purged(live_session: LiveSession) -> None:
    _emit(kinds.ContributionsPurged(live_session.pk))
