"""Keeping the door: closing it to new participants and opening it again, and removing in one
action those who joined in a burst and have done nothing since (what a script that floods the
door leaves behind), with its undo. Callers have checked that ``actor`` facilitates the session
(sessions.permissions); every action is kept in the moderation log.

A removal here is the one of sessions.services.moderation (``remove_participant`` and
``restore_participant``, called for each person), so a swept participant is removed, kept out
and brought back exactly as one removed by hand; the sweep adds one log entry that names them
all, which its undo reads."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from sessions.live import events
from sessions.models import LiveSession, ModerationAction, Participant
from sessions.queries.door import silent, silent_burst
from sessions.services.common import locked_session, log
from sessions.services.errors import InvalidInput
from sessions.services.moderation import remove_participant, restore_participant

# The longest burst one sweep may take: a sweep is for a flood that just happened.
SWEEP_MAX_MINUTES = 60


@dataclass(frozen=True)
class Sweep:
    """Those a sweep removed, and its log entry (None when it removed nobody), which its undo
    names."""

    removed: list[Participant]
    entry: ModerationAction | None


@transaction.atomic
def set_door(*, live_session: LiveSession, actor, closed: bool) -> LiveSession:
    """Close the door (nobody new can join; everyone already in carries on) or open it again.
    Setting the state it has is a no-op (no log, no event). Emits ``door_changed``."""
    live_session = locked_session(live_session)
    if live_session.door_closed == closed:
        return live_session
    live_session.door_closed = closed
    live_session.save(update_fields=["door_closed"])
    log(live_session, actor, "door-close" if closed else "door-open", "session")
    events.door_changed(live_session)
    return live_session


@transaction.atomic
def remove_silent_burst(
    *, live_session: LiveSession, actor, until: datetime, minutes: int
) -> Sweep:
    """Remove everyone still in the session who joined in the ``minutes`` before ``until``
    (when the facilitator looked) and has contributed nothing since: no need, mapping or gap
    note, no dot. Each goes through ``remove_participant``; one log entry counts them (the
    sweep's undo finds them through their own removal entries). Returns those removed and
    that entry.

    Those who contribute while the sweep runs are not taken: their rows are locked first and
    the silence is read again after the lock, so a need posted just before counts, and one
    posted just after finds its author removed. Refuses with InvalidInput for a window of
    under one or over SWEEP_MAX_MINUTES minutes. Emits ``participant_removed`` for each."""
    if not 1 <= minutes <= SWEEP_MAX_MINUTES:
        raise InvalidInput(
            _("Choose a burst of 1 to %(max)d minutes.") % {"max": SWEEP_MAX_MINUTES}
        )
    since = until - timedelta(minutes=minutes)
    # Their rows are locked in one order, before anything else (as every participant's own
    # action locks its row before the session's): two sweeps, or a sweep and a need, queue
    # rather than deadlock.
    candidates = list(
        silent_burst(live_session, since=since, until=until)
        .select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Read again now that their rows are locked: this statement sees every contribution
    # committed while the lock was awaited.
    still_silent = silent(Participant.objects.filter(pk__in=candidates)).order_by("pk")
    removed = list(still_silent)
    removals = [remove_participant(actor=actor, participant=person) for person in removed]
    if not removed:
        return Sweep([], None)
    # The sweep's entry holds a count, never who: each removal's own entry points at its
    # participant (and goes NULL if they erase themselves) and says which sweep it was part
    # of, which is how the undo finds them.
    entry = log(live_session, actor, "remove-burst", "session", minutes=minutes, count=len(removed))
    ModerationAction.objects.filter(pk__in=[r.pk for r in removals if r]).update(
        details={"burst": entry.pk}
    )
    return Sweep(removed, entry)


@transaction.atomic
def restore_burst(*, live_session: LiveSession, actor, sweep: ModerationAction) -> int:
    """Undo a sweep: everyone it removed who is still removed comes back, each through
    ``restore_participant``. Returns how many came back (0 when all were already back: no
    log). Refuses with InvalidInput for a log entry that is not a sweep of this session."""
    if sweep.live_session_id != live_session.pk or sweep.action != "remove-burst":
        raise InvalidInput(_("That is not a removal of a burst in this session."))
    # Locked in one order, participants before the session (as in a sweep); a second undo
    # at once waits, then finds them back already.
    people = list(
        Participant.objects.select_for_update()
        .filter(
            live_session=live_session,
            pk__in=ModerationAction.objects.filter(
                live_session=live_session, action="remove", details__burst=sweep.pk
            ).values("participant"),
            removed_at__isnull=False,
        )
        .order_by("pk")
    )
    for participant in people:
        restore_participant(actor=actor, participant=participant)
    restored = len(people)
    if restored:
        log(live_session, actor, "restore-burst", "session", sweep=sweep.pk, count=restored)
    return restored
