"""Undoing a merge (sessions.services.merging says what a merge moves and records).

Undoing it gives back what moved as far as what happened since allows, and never creates a
dot, nor takes a participant past their budget or an item past the cap:

- each participant's moved dots come back off the kept item, up to what they hold there now
  (dots they took back since stay taken back; dots they added since stay where they put them);
- dots the cap returned to their budget come back to the duplicate while their budget has
  room (dots they have placed elsewhere since stay there);
- mappings moved over go back with what they hold now; folded ones come back with their
  status and their gap notes; the duplicate gets its status back (hidden while its author is
  removed).

Merges touching a need are undone latest first (an earlier one is refused until the later is
undone), so an undo never has to unpick a later merge. Withdrawing or erasing a kept need
first undoes the merges into it (``undo_merges_into``), and withdrawing or erasing a mapping
that others were folded into first unfolds them (``unfold_into``): the duplicates, their
mappings, dots and gap notes come back rather than go with it. These undos give back what
moved, not what the cap returned to budgets (that would need every recipient's row lock,
which the withdrawing participant's transaction cannot take in order)."""

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.enums import ContributionStatus
from sessions.live import events
from sessions.models import (
    GapNote,
    LiveSession,
    Mapping,
    MergedDots,
    MergedGapNote,
    MergedMapping,
    ModerationAction,
    NeedMerge,
    Participant,
    Vote,
)
from sessions.services.common import (
    lock_needs,
    lock_participants,
    log,
    retry_on_lock_conflict,
)
from sessions.services.errors import Conflict
from sessions.services.merging import DotsMoved
from sessions.services.suggestions import refresh_after_commit

MERGED = ContributionStatus.MERGED
HIDDEN = ContributionStatus.HIDDEN


def later_merge(merge: NeedMerge) -> NeedMerge | None:
    """The newest merge not undone, made after ``merge``, that touches its kept need: it must
    be undone first."""
    return (
        NeedMerge.objects.filter(
            Q(keep_id=merge.keep_id) | Q(duplicate_id=merge.keep_id),
            undone_at__isnull=True,
            pk__gt=merge.pk,
        )
        .select_related("keep", "duplicate")
        .order_by("-pk")
        .first()
    )


@retry_on_lock_conflict
@transaction.atomic
def undo_merge(*, actor, merge: NeedMerge) -> tuple[NeedMerge, DotsMoved]:
    """Undo a merge (module docstring: what comes back when things happened since).

    Locks the participants whose budget gets dots back, then both needs (the lock order of
    sessions.services.common), and reads the merge again: one undone a moment ago by someone
    else, or gone with a need its author erased, is refused with Conflict; so is one with a
    later merge on its kept need, until that one is undone. Emits ``merge_undone``."""
    recipients = MergedDots.objects.filter(merge_id=merge.pk, returned__gt=0).values_list(
        "participant_id", flat=True
    )
    lock_participants(list(recipients))
    lock_needs([merge.keep_id, merge.duplicate_id])
    fresh = NeedMerge.objects.filter(pk=merge.pk).select_related("keep", "duplicate").first()
    if fresh is None:
        raise Conflict(_("This merge can no longer be undone: one of its needs was erased."))
    if fresh.undone_at is not None:
        raise Conflict(_("This merge was just undone by another facilitator."))
    later = later_merge(fresh)
    if later is not None:
        from sessions.moderation_log import quoted

        raise Conflict(
            _("First undo the later merge of %(duplicate)s into %(keep)s.")
            % {"duplicate": quoted(later.duplicate.text), "keep": quoted(later.keep.text)}
        )
    dots = _undo(fresh, give_back=True)
    live_session = LiveSession.objects.get(pk=fresh.live_session_id)
    ModerationAction.objects.filter(merge=fresh, action="merge").update(undone_at=fresh.undone_at)
    log(
        live_session,
        actor,
        "undo-merge",
        "need",
        need=fresh.keep,
        other_need=fresh.duplicate,
        merge=fresh,
        moved=dots.moved,
        returned=sum(n for _name, n in dots.returned),
    )
    events.merge_undone(fresh.keep, fresh.duplicate)
    return fresh, dots


def undo_merges_into(needs: list[int]) -> None:
    """Before ``needs`` are withdrawn or erased: undo every merge into them, latest first, so
    that the duplicates and what moved with them come back (without what the cap returned to
    budgets: module docstring). The caller holds the locks of these needs and of the
    duplicates (``duplicates_of``). Emits ``merge_undone`` for each."""
    merges = NeedMerge.objects.filter(keep_id__in=needs, undone_at__isnull=True).order_by("-pk")
    for merge in merges.select_related("keep", "duplicate"):
        _undo(merge, give_back=False)
        ModerationAction.objects.filter(merge=merge, action="merge").update(
            undone_at=merge.undone_at
        )
        events.merge_undone(merge.keep, merge.duplicate)


def duplicates_of(needs: list[int]) -> list[int]:
    """The needs merged into ``needs`` by merges not undone, to be locked with them."""
    return list(
        NeedMerge.objects.filter(keep_id__in=needs, undone_at__isnull=True).values_list(
            "duplicate_id", flat=True
        )
    )


def unfold_into(mappings: list[int]) -> list[tuple[int, int]]:
    """Before ``mappings`` are withdrawn or erased: give each mapping that a merge folded into
    one of them its dots (what it moved and they still hold) and gap notes back, and its
    status; it then stands in for the withdrawn one on the kept need, and an undo of the merge
    moves it back like a mapping that moved over. Returns (mapping, need) pairs for
    ``settle_unfolded`` once the withdrawn mappings are deleted (until then the pair of need
    and strategy is taken)."""
    pairs = []
    records = MergedMapping.objects.filter(
        into_id__in=mappings, folded=True, merge__undone_at__isnull=True
    ).select_related("mapping", "into")
    for record in records:
        folded, into = record.mapping, record.into
        for dots in MergedDots.objects.filter(
            merge_id=record.merge_id, from_mapping=folded, to_mapping=into
        ):
            held = Vote.with_hidden.filter(participant_id=dots.participant_id, mapping=into)
            back = min(dots.moved, sum(vote.dots for vote in held))
            _take(held.first(), back)
            _give(dots.participant_id, back, mapping=folded)
            dots.delete()
        moved_notes = MergedGapNote.objects.filter(merge_id=record.merge_id, from_mapping=folded)
        GapNote.objects.filter(pk__in=moved_notes.values("gap_note_id")).update(mapping=folded)
        moved_notes.delete()
        _settle_status(folded, record.status)
        folded.save(update_fields=["status", "status_before_removal", "updated"])
        record.folded, record.into, record.status = False, None, ""
        record.save(update_fields=["folded", "into", "status"])
        pairs.append((folded.pk, into.need_id))
    return pairs


def settle_unfolded(pairs: list[tuple[int, int]]) -> None:
    """Put each unfolded mapping on the need its fold target was on (``unfold_into``)."""
    for mapping_id, need_id in pairs:
        Mapping.objects.filter(pk=mapping_id).update(need_id=need_id)


def _undo(merge: NeedMerge, *, give_back: bool) -> DotsMoved:
    """Put back what ``merge`` moved; the caller holds the locks. ``give_back``: also the dots
    the cap returned to budgets, as far as each budget has room."""
    live_session = LiveSession.objects.get(pk=merge.live_session_id)
    keep, duplicate = merge.keep, merge.duplicate
    for record in merge.mappings.select_related("mapping"):
        mapping = record.mapping
        if record.folded:
            _settle_status(mapping, record.status)
            mapping.save(update_fields=["status", "status_before_removal", "updated"])
        elif mapping.need_id == keep.pk:
            mapping.need = duplicate
            mapping.save(update_fields=["need", "updated"])
    for record in merge.gap_notes.all():
        GapNote.objects.filter(pk=record.gap_note_id).update(mapping=record.from_mapping_id)
    result = DotsMoved()
    given: dict[int, list] = {}
    kept: dict[int, list] = {}
    for record in merge.dots.select_related("participant").order_by("participant__joined_at"):
        person = record.participant
        on_kept = Vote.with_hidden.filter(participant=person)
        on_kept = (
            on_kept.filter(mapping_id=record.to_mapping_id)
            if record.from_mapping_id
            else on_kept.filter(need=keep)
        )
        held = on_kept.first()
        back = min(record.moved, held.dots if held else 0)
        give = 0
        if give_back and record.returned:
            spent = Vote.with_hidden.filter(participant=person).aggregate(n=Sum("dots"))["n"] or 0
            room = max(0, live_session.dot_budget - spent)
            give = max(0, min(record.returned, room, live_session.dot_cap - back))
            if give:
                given.setdefault(person.pk, [person.name, 0])[1] += give
            if record.returned - give:
                kept.setdefault(person.pk, [person.name, 0])[1] += record.returned - give
        _take(held, back)
        target = (
            {"mapping_id": record.from_mapping_id}
            if record.from_mapping_id
            else {"need": duplicate}
        )
        _give(person.pk, back + give, **target)
        result.moved += back
    result.returned = [tuple(pair) for pair in given.values()]
    result.kept = [tuple(pair) for pair in kept.values()]
    _settle_status(duplicate, merge.duplicate_status)
    duplicate.save(update_fields=["status", "status_before_removal", "updated"])
    refresh_after_commit(duplicate.live_session_id)  # a need again: compared again
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    return result


def _take(vote: Vote | None, dots: int) -> None:
    if vote is None or not dots:
        return
    if vote.dots > dots:
        vote.dots -= dots
        vote.save(update_fields=["dots"])
    else:
        vote.delete()


def _give(participant_id: int, dots: int, **target) -> None:
    """Add ``dots`` to the participant's vote on ``target`` (hidden while they are removed)."""
    if not dots:
        return
    person = Participant.objects.only("pk", "live_session_id", "removed_at").get(pk=participant_id)
    vote = Vote.with_hidden.filter(participant_id=participant_id, **target).first()
    if vote is None:
        Vote.with_hidden.create(
            live_session_id=person.live_session_id,
            participant_id=participant_id,
            dots=dots,
            hidden=person.removed_at is not None,
            **target,
        )
    else:
        vote.dots += dots
        vote.save(update_fields=["dots"])


def _settle_status(row, status: str) -> None:
    """Give ``row`` (a need or a mapping) ``status`` as its author's removal leaves it: hidden
    while they are removed (with ``status`` to come back), ``status`` otherwise."""
    removed = Participant.objects.filter(pk=row.author_id, removed_at__isnull=False).exists()
    if status == HIDDEN and row.status_before_removal and not removed:
        status, row.status_before_removal = row.status_before_removal, ""
    elif status != HIDDEN and removed:
        row.status_before_removal, status = status, HIDDEN
    row.status = status
