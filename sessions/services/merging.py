"""Merging duplicate needs without losing a need, a mapping, a dot or a
gap note, whatever the order of the actions and however many facilitators act at once.

A merge of ``duplicate`` into ``keep``:

- each participant's dots on the duplicate are added to theirs on the kept need, up to the
  session's cap; what the cap cuts goes back to their budget (they may place it again), and
  the facilitator is told ("3 dots moved, 1 returned to Bright Otter's budget");
- the duplicate's mappings move over to the kept need, except one onto a strategy the kept
  need is already mapped to: that one is folded into the kept need's (its dots added the same
  way, its gap notes moved onto it);
- the duplicate, and each folded mapping, stay as rows of status MERGED (shown nowhere), and
  NeedMerge, MergedDots, MergedMapping and MergedGapNote record what moved, for the undo.

Undoing a merge is sessions.services.unmerging."""

from dataclasses import dataclass, field

from django.db import transaction
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
    Need,
    NeedMerge,
    Vote,
)
from sessions.services.common import (
    lock_needs,
    log,
    merged_away,
    retry_on_lock_conflict,
    withdrawn_meanwhile,
)
from sessions.services.errors import InvalidInput

MERGED = ContributionStatus.MERGED
HIDDEN = ContributionStatus.HIDDEN


@dataclass
class DotsMoved:
    """What a merge, or its undo, did to the dots: ``moved`` onto the kept items (or back
    off them), and per participant (name, dots) ``returned`` to budgets by the cap (or, for
    an undo, given back from them; ``kept`` those that could not be, their budget spent)."""

    moved: int = 0
    returned: list[tuple[str, int]] = field(default_factory=list)
    kept: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class MergeResult:
    keep: Need
    duplicate: Need
    entry: ModerationAction
    dots: DotsMoved


@retry_on_lock_conflict
@transaction.atomic
def merge_needs(*, actor, keep: Need, duplicate: Need) -> MergeResult:
    """Merge ``duplicate`` into ``keep`` (module docstring: what moves and what is kept).

    Both needs are locked, in pk order, and read again: a need merged or withdrawn a moment
    ago by someone else is refused with Conflict, in words, and nothing changes (two
    facilitators merging the same pair in opposite directions: the second is refused).
    Refuses with InvalidInput for the same need twice or needs of two sessions. Emits
    ``needs_merged``."""
    if keep.pk == duplicate.pk or keep.live_session_id != duplicate.live_session_id:
        raise InvalidInput(_("Choose two different needs of this session."))
    locked = lock_needs([keep.pk, duplicate.pk])
    keep, duplicate = locked.get(keep.pk), locked.get(duplicate.pk)
    if keep is None or duplicate is None:
        raise withdrawn_meanwhile()
    for need in (duplicate, keep):
        if need.status == MERGED:
            raise merged_away(need, facilitator=actor)
    live_session = LiveSession.objects.get(pk=keep.live_session_id)
    cap = live_session.dot_cap
    merge = NeedMerge.objects.create(
        live_session=live_session,
        keep=keep,
        duplicate=duplicate,
        duplicate_status=duplicate.status,
        actor=actor,
    )
    moved = _fold_dots(merge, cap, "need", duplicate, keep)
    kept_by_strategy = {
        mapping.strategy_id: mapping
        for mapping in Mapping.objects.filter(need=keep).exclude(status=MERGED)
    }
    for mapping in Mapping.objects.filter(need=duplicate).exclude(status=MERGED).order_by("pk"):
        target = kept_by_strategy.get(mapping.strategy_id)
        if target is None:
            mapping.need = keep
            mapping.save(update_fields=["need", "updated"])
            MergedMapping.objects.create(merge=merge, mapping=mapping)
            continue
        moved += _fold_dots(merge, cap, "mapping", mapping, target)
        notes = list(GapNote.objects.filter(mapping=mapping).values_list("pk", flat=True))
        MergedGapNote.objects.bulk_create(
            MergedGapNote(merge=merge, gap_note_id=pk, from_mapping=mapping) for pk in notes
        )
        GapNote.objects.filter(pk__in=notes).update(mapping=target)
        MergedMapping.objects.create(
            merge=merge, mapping=mapping, folded=True, into=target, status=mapping.status
        )
        mapping.status = MERGED
        mapping.save(update_fields=["status", "updated"])
    duplicate.status = MERGED
    duplicate.save(update_fields=["status", "updated"])
    if live_session.spotlight_need_id == duplicate.pk:  # the board keeps showing the need
        LiveSession.objects.filter(pk=live_session.pk).update(spotlight_need=keep)
    dots = DotsMoved(moved, _per_person(merge.dots.filter(returned__gt=0), "returned"))
    entry = log(
        live_session,
        actor,
        "merge",
        "need",
        need=keep,
        other_need=duplicate,
        merge=merge,
        moved=dots.moved,
        returned=sum(n for _name, n in dots.returned),
    )
    events.needs_merged(keep, duplicate.pk)
    return MergeResult(keep, duplicate, entry, dots)


def _fold_dots(merge: NeedMerge, cap: int, field_name: str, source, target) -> int:
    """Add each participant's dots on ``source`` (a need or a mapping: ``field_name``) to
    theirs on ``target``, up to ``cap``; record what moved and what the cap returned. Hidden
    dots (a removed participant's) are folded the same way: they come back with the undo of
    the removal. Returns the dots moved."""
    there = {v.participant_id: v for v in Vote.with_hidden.filter(**{field_name: target})}
    moved_in_all = 0
    records = []
    for vote in Vote.with_hidden.filter(**{field_name: source}).order_by("pk"):
        kept = there.get(vote.participant_id)
        held = kept.dots if kept else 0
        placed = vote.dots
        moved = max(0, min(cap - held, placed))
        if kept is None and moved:
            setattr(vote, field_name, target)
            vote.dots = moved
            vote.save(update_fields=[field_name, "dots"])
        else:
            if moved:
                kept.dots += moved
                kept.save(update_fields=["dots"])
            vote.delete()
        records.append(
            MergedDots(
                merge=merge,
                participant_id=vote.participant_id,
                from_mapping=source if field_name == "mapping" else None,
                to_mapping=target if field_name == "mapping" else None,
                moved=moved,
                returned=placed - moved,
            )
        )
        moved_in_all += moved
    MergedDots.objects.bulk_create(records)
    return moved_in_all


def _per_person(records, amount: str) -> list[tuple[str, int]]:
    """(name, dots) per participant in ``records`` (MergedDots), in the order they joined."""
    totals: dict[int, list] = {}
    for record in records.select_related("participant").order_by("participant__joined_at"):
        entry = totals.setdefault(record.participant_id, [record.participant.name, 0])
        entry[1] += getattr(record, amount)
    return [(name, n) for name, n in totals.values() if n]


# --- undo -----------------------------------------------------------------------------------
