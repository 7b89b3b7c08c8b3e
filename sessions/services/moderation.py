"""Keeping a session safe and tidy: hide, restore or approve contributions, correct a need,
remove a participant (and undo each), and purge contributions after the session. Merges are in
sessions.services.merging, undoing any logged action in sessions.services.undoing. Callers
have checked that ``actor`` facilitates the session (sessions.permissions); every action is
kept in the moderation log, as references to the rows it concerns."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.enums import MODERATION_STATUSES, ContributionStatus
from sessions.live import events
from sessions.models import (
    GapNote,
    LiveSession,
    Mapping,
    ModerationAction,
    Need,
    NeedCorrection,
    Participant,
    Vote,
)
from sessions.services.common import (
    lock_needs,
    lock_participants,
    locked_session,
    log,
    merged_away,
    needs_of,
    needs_touched_by,
    retry_on_lock_conflict,
    withdrawn_meanwhile,
)
from sessions.services.contributions import clean_need_text
from sessions.services.errors import Conflict, InvalidInput
from sessions.services.suggestions import refresh_after_commit

HIDDEN, MERGED = ContributionStatus.HIDDEN, ContributionStatus.MERGED
ACTIONS = {ContributionStatus.HIDDEN: "hide", ContributionStatus.VISIBLE: "show"}
# The log entry's reference to each kind of contribution.
REFERENCE = {Need: "need", Mapping: "mapping", GapNote: "gap_note"}


def lock_contribution(contribution):
    """The contribution re-read FOR UPDATE after its need (the lock order of
    sessions.services.common), or None if its author withdrew or erased it meanwhile."""
    model = type(contribution)
    if model is Need:
        return lock_needs([contribution.pk]).get(contribution.pk)
    for _attempt in range(3):
        current = model.objects.filter(pk=contribution.pk).first()
        if current is None:
            return None
        mapping = current if model is Mapping else current.mapping
        need_id = mapping.need_id if mapping is not None else None
        if need_id is not None:
            lock_needs([need_id])
        locked = model.objects.select_for_update().filter(pk=contribution.pk).first()
        locked_mapping = locked if model is Mapping else getattr(locked, "mapping", None)
        if locked is None or locked_mapping is None or locked_mapping.need_id == need_id:
            return locked
    return locked


def refuse_merged(contribution, actor) -> None:
    """Conflict for a facilitator acting on something a merge made part of another need."""
    if contribution.status != MERGED:
        return
    if isinstance(contribution, Need):
        raise merged_away(contribution, facilitator=actor)
    raise Conflict(
        _("A merge folded this mapping into another of the same need: undo the merge first.")
    )


@retry_on_lock_conflict
@transaction.atomic
def moderate(*, actor, contribution, status: str) -> ModerationAction | None:
    """Hide, restore or approve (from the pre-moderation queue) a need, mapping or gap note;
    returns the log entry (None when it already had ``status``: a no-op, nothing emitted).

    Refuses with InvalidInput for a status a facilitator cannot set, Conflict for something
    withdrawn or merged a moment ago. Emits ``need_moderated``, ``mapping_moderated`` or
    ``gap_note_moderated``."""
    if status not in MODERATION_STATUSES:
        raise InvalidInput(_("Unknown moderation status."))
    locked = lock_contribution(contribution)
    if locked is None:
        raise withdrawn_meanwhile()
    refuse_merged(locked, actor)
    return set_status(actor, locked, status)


def set_status(actor, contribution, status: str) -> ModerationAction | None:
    """``moderate`` once the contribution is locked (and the undo of a moderation)."""
    before = contribution.status
    if before == status:
        return None
    contribution.status = status
    # A facilitator's own decision: an undone removal no longer changes it.
    contribution.status_before_removal = ""
    contribution.save(update_fields=["status", "status_before_removal", "updated"])
    model = type(contribution)
    entry = log(
        LiveSession.objects.get(pk=contribution.live_session_id),
        actor,
        ACTIONS.get(status, status),
        REFERENCE[model].replace("_", ""),
        **{REFERENCE[model]: contribution},
        before=before,
        after=status,
    )
    if isinstance(contribution, Need):  # shown again: compared again
        refresh_after_commit(contribution.live_session_id)
    events.contribution_moderated(contribution)
    return entry


@retry_on_lock_conflict
@transaction.atomic
def correct_need(*, actor, need: Need, text: str, context: str) -> Need:
    """Fix a typo in someone's need. The text it replaces is kept in a NeedCorrection of the
    need (for the undo; it goes with the need), the log points at both. Refuses with
    InvalidInput, Conflict for a need merged or withdrawn a moment ago. Emits
    ``need_corrected``."""
    locked = lock_needs([need.pk]).get(need.pk)
    if locked is None:
        raise withdrawn_meanwhile()
    refuse_merged(locked, actor)
    text, context = clean_need_text(text, context, field=_("Need"))
    correction = NeedCorrection.objects.create(
        need=locked,
        text_before=locked.text,
        context_before=locked.context,
        edited_before=locked.edited,
        text_after=text,
        context_after=context,
    )
    locked.text, locked.context, locked.edited = text, context, True
    locked.save(update_fields=["text", "context", "edited", "updated"])
    log(
        LiveSession.objects.get(pk=locked.live_session_id),
        actor,
        "edit",
        "need",
        need=locked,
        correction=correction,
    )
    refresh_after_commit(locked.live_session_id)
    events.need_edited(locked, by_facilitator=True)
    return locked


_AUTHORED = (Need, Mapping, GapNote)


@retry_on_lock_conflict
@transaction.atomic
def remove_participant(*, actor, participant: Participant) -> ModerationAction | None:
    """Remove a participant: they can no longer act, and everything they wrote and their
    dots are hidden, not deleted, so that ``restore_participant`` gives all of it back (each
    row remembers the status the removal hid it from; votes are flagged hidden and counted
    nowhere, sessions.models.CountedVotes). Returns the log entry; removing someone already
    removed is a no-op (None). Refuses with Conflict for someone who erased themselves a
    moment ago. Emits ``participant_removed``."""
    locked = lock_participants([participant.pk]).get(participant.pk)
    if locked is None:
        raise Conflict(_("This participant just erased themselves."))
    if locked.removed_at:
        return None
    lock_needs(needs_of(locked))
    written = list(Need.objects.filter(author=locked).values_list("pk", flat=True))
    touched = needs_touched_by(locked)
    locked.removed_at = timezone.now()
    locked.save(update_fields=["removed_at"])
    for model in _AUTHORED:
        model.objects.filter(author=locked).exclude(status__in=[HIDDEN, MERGED]).update(
            status_before_removal=F("status"), status=HIDDEN
        )
    Vote.with_hidden.filter(participant=locked).update(hidden=True)
    entry = log(
        LiveSession.objects.get(pk=locked.live_session_id),
        actor,
        "remove",
        "participant",
        participant=locked,
    )
    events.participant_left(
        locked.live_session_id,
        written=written,
        touched=touched,
        removed=True,
        public_id=locked.public_id,
    )
    return entry


@retry_on_lock_conflict
@transaction.atomic
def restore_participant(*, actor, participant: Participant) -> ModerationAction | None:
    """Undo a removal: the participant can act again, what the removal hid is shown as it was
    (what a facilitator hid before, or changed since, stays as it is) and their dots count
    again where they are now (a merge since may have moved them). Returns the log entry;
    restoring someone who is not removed is a no-op (None). Refuses with Conflict for someone
    who erased themselves since. Emits ``participant_restored``."""
    locked = lock_participants([participant.pk]).get(participant.pk)
    if locked is None:
        raise Conflict(_("This participant erased themselves since."))
    if not locked.removed_at:
        return None
    lock_needs(needs_of(locked))
    locked.removed_at = None
    locked.save(update_fields=["removed_at"])
    hidden_by_removal = {"status": HIDDEN, "author": locked}
    restored = list(
        Need.objects.filter(**hidden_by_removal)
        .exclude(status_before_removal="")
        .values_list("pk", flat=True)
    )
    for model in _AUTHORED:
        model.objects.filter(**hidden_by_removal).exclude(status_before_removal="").update(
            status=F("status_before_removal"), status_before_removal=""
        )
    Vote.with_hidden.filter(participant=locked).update(hidden=False)
    live_session = LiveSession.objects.get(pk=locked.live_session_id)
    now = timezone.now()
    ModerationAction.objects.filter(
        live_session=live_session, action="remove", participant=locked, undone_at__isnull=True
    ).update(undone_at=now)
    entry = log(live_session, actor, "restore", "participant", participant=locked)
    refresh_after_commit(locked.live_session_id)
    events.participant_restored(locked, needs=sorted(set(restored) | needs_touched_by(locked)))
    return entry


@retry_on_lock_conflict
@transaction.atomic
def purge_contributions(*, live_session: LiveSession, actor) -> dict:
    """Retention: delete every participant and everything they contributed, keeping only the
    aggregate counts (overall, by presence, by strategy and by gap kind) on the session.
    Emits ``contributions_purged``."""
    from sessions import queries

    live_session = locked_session(live_session)
    counts = {
        "participants": queries.participant_counts(live_session),
        "activity": queries.activity(live_session),
        "strategies": {
            cell.strategy.slug: {
                "needs": cell.demand.needs_mapped,
                "dots": cell.demand.dots,
                "gaps": cell.demand.gap_notes,
            }
            for row in queries.grid(live_session)
            for cell in row.cells
            if cell.demand.needs_mapped or cell.demand.dots or cell.demand.gap_notes
        },
        "gap_kinds": {group.kind: len(group.notes) for group in queries.gap_notes(live_session)},
        "approach_split": {
            part.approach: part.needs_mapped for part in queries.approach_split(live_session)
        },
    }
    counts["activity"].pop("active", None)
    Participant.objects.filter(live_session=live_session).delete()
    live_session.aggregate_counts = counts
    live_session.purged_at = timezone.now()
    live_session.spotlight_need = None
    live_session.save(update_fields=["aggregate_counts", "purged_at", "spotlight_need"])
    log(live_session, actor, "purge", "session")
    events.contributions_purged(live_session)
    return counts
