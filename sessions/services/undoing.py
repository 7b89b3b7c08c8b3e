"""Undoing a facilitator's action from its entry in the moderation log (the dashboard's toast
and log line offer it): a hide, a restore or an approval, a correction, a merge, a dismissed
merge suggestion, a removal.

Each undo locks what it changes (in the order of sessions.services.common), then reads the
entry again, so two facilitators undoing the same action at once undo it once: the second is
refused with Conflict, in words. An undo that something done since would contradict is refused
the same way, saying what to do instead (a need its author edited since the correction, a
contribution another facilitator moderated since, a later merge on the same need)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.live import events
from sessions.models import LiveSession, MergeSuggestion, ModerationAction
from sessions.moderation_log import UNDOABLE
from sessions.services import merging, unmerging
from sessions.services.common import lock_needs, log, retry_on_lock_conflict, withdrawn_meanwhile
from sessions.services.errors import Conflict, InvalidInput
from sessions.services.moderation import lock_contribution, restore_participant, set_status
from sessions.services.suggestions import refresh_after_commit


@dataclass(frozen=True)
class Undone:
    """What an undo did: ``entry``, the log entry of the action it undid (as it is now);
    ``dots``, for a merge, what came back."""

    entry: ModerationAction
    dots: merging.DotsMoved | None = None


def undo(*, actor, entry: ModerationAction) -> Undone:
    """Undo the action ``entry`` records. Refuses with InvalidInput for an action that has no
    undo, Conflict for one undone already or no longer undoable (module docstring). Emits
    what the undone action's own inverse emits."""
    if entry.action not in UNDOABLE:
        raise InvalidInput(_("This action cannot be undone from here."))
    if entry.undone_at is not None:
        raise _already_undone()
    if entry.action == "merge":
        if entry.merge is None:
            raise Conflict(_("This merge can no longer be undone: one of its needs was erased."))
        _merge, dots = unmerging.undo_merge(actor=actor, merge=entry.merge)
        entry.refresh_from_db()
        return Undone(entry, dots)
    undo_one = {
        "edit": _undo_correction,
        "dismiss-merge": _undo_dismissal,
        "remove": _undo_removal,
    }.get(entry.action, _undo_moderation)
    undo_one(actor=actor, entry=entry)
    entry.refresh_from_db()
    return Undone(entry)


def _already_undone() -> Conflict:
    return Conflict(_("This was just undone by another facilitator."))


def _still_open(entry: ModerationAction) -> ModerationAction:
    """The entry read again once the caller holds its locks; Conflict if undone meanwhile."""
    fresh = ModerationAction.objects.get(pk=entry.pk)
    if fresh.undone_at is not None:
        raise _already_undone()
    return fresh


@retry_on_lock_conflict
@transaction.atomic
def _undo_moderation(*, actor, entry: ModerationAction) -> None:
    contribution = entry.need or entry.mapping or entry.gap_note
    if contribution is None:
        raise withdrawn_meanwhile()
    locked = lock_contribution(contribution)
    if locked is None:
        raise withdrawn_meanwhile()
    entry = _still_open(entry)
    if locked.status != entry.details.get("after"):
        raise Conflict(_("Another facilitator changed it since: it is left as they set it."))
    ModerationAction.objects.filter(pk=entry.pk).update(undone_at=timezone.now())
    set_status(actor, locked, entry.details["before"])


@retry_on_lock_conflict
@transaction.atomic
def _undo_correction(*, actor, entry: ModerationAction) -> None:
    if entry.need_id is None:
        raise withdrawn_meanwhile()
    need = lock_needs([entry.need_id]).get(entry.need_id)
    entry = _still_open(entry)
    correction = entry.correction
    if need is None or correction is None:
        raise withdrawn_meanwhile()
    if (need.text, need.context) != (correction.text_after, correction.context_after):
        raise Conflict(_("This need was changed since the correction: correct it again instead."))
    need.text, need.context = correction.text_before, correction.context_before
    need.edited = correction.edited_before
    need.save(update_fields=["text", "context", "edited", "updated"])
    correction.delete()  # what it kept of the old text is back in the need
    ModerationAction.objects.filter(pk=entry.pk).update(undone_at=timezone.now())
    log(LiveSession.objects.get(pk=need.live_session_id), actor, "undo-edit", "need", need=need)
    refresh_after_commit(need.live_session_id)
    events.need_edited(need, by_facilitator=True)


@retry_on_lock_conflict
@transaction.atomic
def _undo_dismissal(*, actor, entry: ModerationAction) -> None:
    suggestion = (
        MergeSuggestion.objects.select_for_update(of=("self",))
        .select_related("need", "other")
        .filter(pk=entry.suggestion_id)
        .first()
    )
    entry = _still_open(entry)
    if suggestion is None:
        raise withdrawn_meanwhile()
    suggestion.dismissed_at = None
    suggestion.save(update_fields=["dismissed_at"])
    ModerationAction.objects.filter(pk=entry.pk).update(undone_at=timezone.now())
    log(
        LiveSession.objects.get(pk=suggestion.live_session_id),
        actor,
        "undo-dismiss-merge",
        "need",
        need=suggestion.need,
        other_need=suggestion.other,
        suggestion=suggestion,
    )


def _undo_removal(*, actor, entry: ModerationAction) -> None:
    if entry.participant is None:
        raise Conflict(_("This participant erased themselves since."))
    if restore_participant(actor=actor, participant=entry.participant) is None:
        raise _already_undone()
