"""What participants write: needs, their mappings onto strategies, and gap notes; and
withdrawing any of them (allowed in every phase: consent does not depend on the phase)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sessions.enums import ContributionStatus, GapKind
from sessions.live import events
from sessions.models import (
    CONTEXT_MAX_LENGTH,
    GAP_MAX_LENGTH,
    NEED_MAX_LENGTH,
    REASON_MAX_LENGTH,
    GapNote,
    Mapping,
    Need,
    Participant,
)
from sessions.services.common import (
    NEEDS_PER_MINUTE,
    NEEDS_PER_MINUTE_PER_SESSION,
    PER_PARTICIPANT,
    PER_SESSION,
    WRITES_PER_MINUTE,
    clean_text,
    initial_status,
    lock_needs,
    locked_participant,
    merged_away,
    rate_limited,
    require_author,
    require_phase,
    retry_on_lock_conflict,
    share_mapping,
    share_need,
)
from sessions.services.errors import InvalidInput
from sessions.services.replays import clean_key, remember, replayed
from sessions.services.suggestions import refresh_after_commit
from taxonomy.models import Strategy


def _create(model, participant: Participant, **fields):
    """A new contribution by ``participant``: visible, or pending when the session
    pre-moderates."""
    live_session = participant.live_session
    return model.objects.create(
        live_session=live_session,
        author=participant,
        status=initial_status(live_session),
        **fields,
    )


def clean_need_text(text: str, context: str, *, field: str) -> tuple[str, str]:
    """A need's text (required) and its context (optional), cleaned; raises InvalidInput."""
    return (
        clean_text(text, field=field, max_length=NEED_MAX_LENGTH),
        clean_text(
            context, field=_("Community or platform"), max_length=CONTEXT_MAX_LENGTH, required=False
        ),
    )


# --- needs ----------------------------------------------------------------------------------


@rate_limited(
    ("need", PER_PARTICIPANT, NEEDS_PER_MINUTE),
    ("write", PER_PARTICIPANT, WRITES_PER_MINUTE),
    ("session-needs", PER_SESSION, NEEDS_PER_MINUTE_PER_SESSION),
)
@transaction.atomic
def post_need(
    *, participant: Participant, text: str, context: str = "", client_key: str = ""
) -> Need:
    """Post a need in the needs (or mapping) phase.

    ``client_key`` (the form's submission id) makes the post idempotent: the same key from the
    same participant returns the need already posted (a double tap, a retried request), and
    emits nothing. Refuses with PhaseClosed, InvalidInput or TooFast. Emits ``need_posted``
    (the need is pending, and shown to nobody but its author, when the session pre-moderates)."""
    participant, live_session = locked_participant(participant)
    client_key = (client_key or "").strip()[:64]
    if client_key and (
        already := Need.objects.filter(author=participant, client_key=client_key).first()
    ):
        return already
    require_phase(live_session, "need")
    text, context = clean_need_text(text, context, field=_("Your need"))
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate loses cleanly
            need = _create(Need, participant, text=text, context=context, client_key=client_key)
    except IntegrityError:
        if not client_key:
            raise
        return Need.objects.get(author=participant, client_key=client_key)
    refresh_after_commit(need.live_session_id)
    events.need_posted(need)
    return need


@rate_limited(("write", PER_PARTICIPANT, WRITES_PER_MINUTE))
@retry_on_lock_conflict
@transaction.atomic
def edit_need(
    *, participant: Participant, need: Need, text: str, context: str = "", client_key: str = ""
) -> Need:
    """Edit one's own need while needs can be posted. Refuses with NotYours, PhaseClosed,
    InvalidInput, Conflict (a facilitator merged it into another a moment ago) or TooFast.
    Emits ``need_edited``. An edit already made with ``client_key`` (services.replays) returns
    the need as it is now and emits nothing."""
    participant, live_session = locked_participant(participant)
    client_key = clean_key(client_key)
    if replayed(participant, client_key):
        return Need.objects.filter(pk=need.pk).first() or need
    need = Need.objects.select_for_update().get(pk=need.pk)
    require_author(participant, need)
    require_phase(live_session, "need")
    if need.status == ContributionStatus.MERGED:
        raise merged_away(need)
    need.text, need.context = clean_need_text(text, context, field=_("Your need"))
    need.edited = True
    need.save(update_fields=["text", "context", "edited", "updated"])
    remember(participant, client_key, "edit_need", need=need.pk)
    refresh_after_commit(need.live_session_id)
    events.need_edited(need)
    return need


@retry_on_lock_conflict
@transaction.atomic
def delete_need(*, participant: Participant, need: Need, client_key: str = "") -> None:
    """Withdraw one's own need (any phase), with its mappings, votes and gap notes. Needs a
    facilitator merged into it come back first, with what moved with them (undone merges,
    sessions.services.unmerging), rather than go with it. Withdrawing a need already gone is a
    no-op. Refuses with NotYours. Emits ``merge_undone`` for each merge undone, then
    ``need_withdrawn``; nothing when ``client_key`` was already used."""
    participant, live_session = locked_participant(participant)
    client_key = clean_key(client_key)
    if replayed(participant, client_key):
        return
    require_author(participant, need)
    withdraw_needs([need.pk])
    remember(participant, client_key, "delete_need", need=need.pk)
    events.need_withdrawn(live_session.pk, need.pk)


def withdraw_needs(pks: list[int]) -> None:
    """Delete these needs (the caller holds their author's lock), after undoing the merges
    into them and unfolding what was folded into their mappings (sessions.services.unmerging),
    so that nothing anyone else contributed goes with them but their own mappings, dots and
    gap notes."""
    from sessions.services import unmerging

    lock_needs([*pks, *unmerging.duplicates_of(pks)])
    unmerging.undo_merges_into(pks)
    mappings = list(Mapping.objects.filter(need_id__in=pks).values_list("pk", flat=True))
    unfolded = unmerging.unfold_into(mappings)
    Need.objects.filter(pk__in=pks).delete()
    unmerging.settle_unfolded(unfolded)


# --- mapping --------------------------------------------------------------------------------


@rate_limited(("write", PER_PARTICIPANT, WRITES_PER_MINUTE))
@retry_on_lock_conflict
@transaction.atomic
def map_need(
    *,
    participant: Participant,
    need: Need,
    strategies: list[Strategy],
    reason: str = "",
    client_key: str = "",
) -> list[Mapping]:
    """Map a visible need onto one or more strategies of the session's taxonomy.

    A pair already mapped by someone is kept as it is (they can vote on it instead); the
    returned list holds only the mappings this call created. Refuses with PhaseClosed,
    InvalidInput, Conflict (the need was merged a moment ago) or TooFast. Emits
    ``need_mapped`` when it created any. Sent again with the same ``client_key``, returns the
    mappings the first call created (those still there) and emits nothing."""
    participant, live_session = locked_participant(participant)
    client_key = clean_key(client_key)
    if done := replayed(participant, client_key):
        return list(
            Mapping.objects.filter(pk__in=done.result.get("mappings", [])).select_related(
                "strategy"
            )
        )
    require_phase(live_session, "mapping")
    # Read again under a share lock: a merge of the need waits for this mapping, or this
    # mapping sees the merge and is refused in words.
    need = share_need(need.pk) or need
    if need.status == ContributionStatus.MERGED:
        raise merged_away(need)
    if need.live_session_id != live_session.pk or need.status != ContributionStatus.VISIBLE:
        raise InvalidInput(_("That need is not available."))
    if not strategies:
        raise InvalidInput(_("Choose at least one strategy."))
    if any(strategy.taxonomy_id != live_session.taxonomy_id for strategy in strategies):
        raise InvalidInput(_("That strategy is not part of this session's taxonomy."))
    reason = clean_text(reason, field=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)
    existing = set(
        Mapping.objects.filter(need=need, strategy__in=strategies).values_list(
            "strategy_id", flat=True
        )
    )
    created = []
    for strategy in strategies:
        if strategy.pk in existing:
            continue
        try:
            # A savepoint, so a concurrent identical mapping does not abort the transaction.
            with transaction.atomic():
                created.append(
                    _create(Mapping, participant, need=need, strategy=strategy, reason=reason)
                )
        except IntegrityError:
            continue
    remember(participant, client_key, "map_need", mappings=[mapping.pk for mapping in created])
    if created:
        events.need_mapped(need, created)
    return created


@retry_on_lock_conflict
@transaction.atomic
def delete_mapping(*, participant: Participant, mapping: Mapping, client_key: str = "") -> None:
    """Withdraw one's own mapping (any phase), with the dots and gap notes on it; mappings a
    merge folded into it come back first with their own (sessions.services.unmerging). Refuses
    with NotYours. Emits ``mapping_withdrawn``; nothing when ``client_key`` was already used."""
    participant, live_session = locked_participant(participant)
    client_key = clean_key(client_key)
    if replayed(participant, client_key):
        return
    require_author(participant, mapping)
    mapping = withdraw_mappings([mapping.pk]).get(mapping.pk, mapping)
    remember(participant, client_key, "delete_mapping", mapping=mapping.pk)
    events.mapping_withdrawn(live_session.pk, need_id=mapping.need_id, mapping_id=mapping.pk)


def withdraw_mappings(pks: list[int]) -> dict[int, Mapping]:
    """Delete these mappings (the caller holds their author's lock) after unfolding what a
    merge folded into them; returns them as they were."""
    from sessions.models import MergedMapping
    from sessions.services import unmerging

    needs = set(Mapping.objects.filter(pk__in=pks).values_list("need_id", flat=True))
    folded = MergedMapping.objects.filter(into_id__in=pks, folded=True).values_list(
        "mapping__need_id", flat=True
    )
    lock_needs([*needs, *folded])
    gone = {mapping.pk: mapping for mapping in Mapping.objects.filter(pk__in=pks)}
    unfolded = unmerging.unfold_into(pks)
    Mapping.objects.filter(pk__in=pks).delete()
    unmerging.settle_unfolded(unfolded)
    return gone


# --- gaps -----------------------------------------------------------------------------------


@rate_limited(("write", PER_PARTICIPANT, WRITES_PER_MINUTE))
@retry_on_lock_conflict
@transaction.atomic
def annotate_gap(
    *,
    participant: Participant,
    kind: str,
    text: str,
    strategy: Strategy | None = None,
    mapping: Mapping | None = None,
    client_key: str = "",
) -> GapNote | None:
    """Note what is missing for one's community, on a strategy or on a mapping (then the
    note's strategy is the mapping's). Refuses with PhaseClosed, InvalidInput, Conflict (a
    merge folded the mapping into another a moment ago) or TooFast. Emits ``gap_noted``. Sent
    again with the same ``client_key``, returns the note the first call made (None if it was
    deleted since) and emits nothing."""
    participant, live_session = locked_participant(participant)
    client_key = clean_key(client_key)
    if done := replayed(participant, client_key):
        return GapNote.objects.filter(pk=done.result.get("gap_note")).first()
    require_phase(live_session, "gap")
    if kind not in GapKind.values:
        raise InvalidInput(_("Choose what kind of gap this is."))
    if mapping is not None:
        # Read again under a share lock on its need: a merge may have moved or folded it.
        mapping = share_mapping(mapping.pk)
        if mapping is None or mapping.live_session_id != live_session.pk:
            raise InvalidInput(_("That mapping is not available."))
        if mapping.status == ContributionStatus.MERGED:
            raise merged_away(mapping.need)
        strategy = mapping.strategy
    if strategy is None or strategy.taxonomy_id != live_session.taxonomy_id:
        raise InvalidInput(_("Choose a strategy or a mapping for this gap."))
    text = clean_text(text, field=_("Gap"), max_length=GAP_MAX_LENGTH)
    note = _create(GapNote, participant, strategy=strategy, mapping=mapping, kind=kind, text=text)
    remember(participant, client_key, "annotate_gap", gap_note=note.pk)
    events.gap_noted(note)
    return note


@retry_on_lock_conflict
@transaction.atomic
def delete_gap_note(*, participant: Participant, gap_note: GapNote, client_key: str = "") -> None:
    """Withdraw one's own gap note (any phase). Refuses with NotYours. Emits
    ``gap_withdrawn``; nothing when ``client_key`` was already used."""
    participant, live_session = locked_participant(participant)
    client_key = clean_key(client_key)
    if replayed(participant, client_key):
        return
    require_author(participant, gap_note)
    if gap_note.mapping_id:  # a merge moves notes between mappings: after it, or before it
        share_mapping(gap_note.mapping_id)
    gap_note_id = gap_note.pk
    gap_note.delete()
    remember(participant, client_key, "delete_gap_note", gap_note=gap_note_id)
    events.gap_withdrawn(live_session.pk, gap_note_id)
