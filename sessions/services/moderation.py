"""Keeping a session safe and tidy: hide, restore or approve contributions, correct a need,
merge duplicates, remove a participant, and purge contributions after the session. Callers
have checked that ``actor`` facilitates the session (sessions.permissions); every action is
kept in the moderation log."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.enums import ContributionStatus
from sessions.live import events
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote
from sessions.services.common import locked_session, log, needs_touched_by
from sessions.services.contributions import clean_need_text
from sessions.services.errors import InvalidInput


@transaction.atomic
def moderate(*, actor, contribution, status: str) -> None:
    """Hide, restore or approve (from the pre-moderation queue) a need, mapping or gap note.
    Refuses with InvalidInput for an unknown status; setting the status it has is a no-op.
    Emits ``need_moderated``, ``mapping_moderated`` or ``gap_note_moderated``."""
    if status not in ContributionStatus.values:
        raise InvalidInput(_("Unknown moderation status."))
    model = type(contribution)
    contribution = model.objects.select_for_update().get(pk=contribution.pk)
    before = contribution.status
    if before == status:
        return
    contribution.status = status
    contribution.save(update_fields=["status", "updated"])
    log(
        LiveSession.objects.get(pk=contribution.live_session_id),
        actor,
        {ContributionStatus.HIDDEN: "hide", ContributionStatus.VISIBLE: "show"}.get(status, status),
        f"{model._meta.model_name}-{contribution.pk}",
        before=before,
        after=status,
    )
    events.contribution_moderated(contribution)


@transaction.atomic
def correct_need(*, actor, need: Need, text: str, context: str) -> Need:
    """Fix a typo in someone's need; the old and new text are kept in the moderation log.
    Refuses with InvalidInput. Emits ``need_corrected``."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    before = {"text": need.text, "context": need.context}
    need.text, need.context = clean_need_text(text, context, field=_("Need"))
    need.edited = True
    need.save(update_fields=["text", "context", "edited", "updated"])
    log(
        LiveSession.objects.get(pk=need.live_session_id),
        actor,
        "edit",
        f"need-{need.pk}",
        before=before,
        after={"text": need.text, "context": need.context},
    )
    events.need_edited(need, by_facilitator=True)
    return need


@transaction.atomic
def merge_needs(*, actor, keep: Need, duplicate: Need) -> Need:
    """Merge ``duplicate`` into ``keep``: its mappings and dots move over, then it goes.

    A participant who had dots on both keeps the larger of the two (never more than the cap),
    so no vote is counted twice and nobody's budget is exceeded; mappings to the same strategy
    merge the same way. Refuses with InvalidInput for the same need twice or needs of two
    sessions. Emits ``needs_merged``."""
    if keep.pk == duplicate.pk or keep.live_session_id != duplicate.live_session_id:
        raise InvalidInput(_("Choose two different needs of this session."))
    live_session = locked_session(LiveSession.objects.get(pk=keep.live_session_id))
    # Lock both needs in a fixed order so concurrent merges cannot deadlock.
    list(Need.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk]).order_by("pk"))
    _merge_votes(Vote.objects.filter(need=duplicate), "need", keep, live_session.dot_cap)
    kept_by_strategy = {m.strategy_id: m for m in Mapping.objects.filter(need=keep)}
    for mapping in Mapping.objects.filter(need=duplicate):
        target = kept_by_strategy.get(mapping.strategy_id)
        if target is None:
            mapping.need = keep
            mapping.save(update_fields=["need", "updated"])
        else:
            _merge_votes(
                Vote.objects.filter(mapping=mapping), "mapping", target, live_session.dot_cap
            )
            GapNote.objects.filter(mapping=mapping).update(mapping=target)
            mapping.delete()
    text = duplicate.text
    duplicate_id = duplicate.pk
    duplicate.delete()
    log(live_session, actor, "merge", f"need-{keep.pk}", merged=duplicate_id, merged_text=text)
    events.needs_merged(keep, duplicate_id)
    return keep


def _merge_votes(votes, field: str, target, cap: int) -> None:
    existing = {v.participant_id: v for v in Vote.objects.filter(**{field: target})}
    for vote in votes:
        kept = existing.get(vote.participant_id)
        if kept is None:
            setattr(vote, field, target)
            vote.save(update_fields=[field])
        else:
            kept.dots = min(cap, max(kept.dots, vote.dots))
            kept.save(update_fields=["dots"])
            vote.delete()


_AUTHORED = {"need": Need, "mapping": Mapping, "gap_note": GapNote}


@transaction.atomic
def remove_participant(*, actor, participant: Participant) -> None:
    """Remove a participant: they can no longer act, their dots go, and everything they wrote
    is hidden (kept, so a mistaken removal can be undone with ``restore_participant``; the log
    keeps what it hid). Removing someone already removed is a no-op. Emits
    ``participant_removed``."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.removed_at:
        return
    participant.removed_at = timezone.now()
    participant.save(update_fields=["removed_at"])
    written = list(Need.objects.filter(author=participant).values_list("pk", flat=True))
    touched = needs_touched_by(participant)
    hidden = {}
    for name, model in _AUTHORED.items():
        shown = model.objects.filter(author=participant).exclude(status=ContributionStatus.HIDDEN)
        hidden[name] = {str(pk): status for pk, status in shown.values_list("pk", "status")}
        shown.update(status=ContributionStatus.HIDDEN)
    Vote.objects.filter(participant=participant).delete()
    log(
        LiveSession.objects.get(pk=participant.live_session_id),
        actor,
        "remove",
        f"participant-{participant.pk}",
        pseudonym=participant.pseudonym,
        hidden=hidden,
    )
    events.participant_left(
        participant.live_session_id,
        written=written,
        touched=touched,
        removed=True,
        public_id=participant.public_id,
    )


@transaction.atomic
def restore_participant(*, actor, participant: Participant) -> None:
    """Undo a removal: the participant can act again and what the removal hid is shown as it
    was (their dots are not given back: they place them again). Restoring someone who is not
    removed is a no-op. Emits ``participant_restored``."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if not participant.removed_at:
        return
    participant.removed_at = None
    participant.save(update_fields=["removed_at"])
    live_session = LiveSession.objects.get(pk=participant.live_session_id)
    removal = (
        live_session.moderation_log.filter(action="remove", target=f"participant-{participant.pk}")
        .order_by("-created", "-pk")
        .first()
    )
    hidden = removal.details.get("hidden", {}) if removal else {}
    restored = []
    for name, model in _AUTHORED.items():
        by_status: dict[str, list[int]] = {}
        for pk, status in hidden.get(name, {}).items():
            by_status.setdefault(status, []).append(int(pk))
        for status, pks in by_status.items():
            model.objects.filter(
                pk__in=pks, author=participant, status=ContributionStatus.HIDDEN
            ).update(status=status)
        if name == "need":
            restored = [pk for pks in by_status.values() for pk in pks]
    log(
        live_session,
        actor,
        "restore",
        f"participant-{participant.pk}",
        pseudonym=participant.pseudonym,
    )
    events.participant_restored(participant, needs=restored)


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
