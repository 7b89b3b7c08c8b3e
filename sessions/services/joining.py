"""Joining a session, changing how one appears in it, and leaving it (erasure)."""

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions import proof_of_work, ratelimit
from sessions.enums import Presence
from sessions.identity import new_device_secret, removed_digest
from sessions.live import events
from sessions.models import DISPLAY_NAME_MAX_LENGTH, LiveSession, Need, Participant
from sessions.pseudonyms import nth_pseudonym
from sessions.services.common import (
    JOINS_PER_MINUTE_PER_BROWSER,
    JOINS_PER_MINUTE_PER_SESSION,
    JOINS_WITHOUT_PROOF_PER_MINUTE,
    clean_text,
    lock_needs,
    locked_participant,
    needs_of,
    needs_touched_by,
    rate,
    retry_on_lock_conflict,
)
from sessions.services.errors import (
    DoorClosed,
    InvalidInput,
    ParticipantRemoved,
    ProofRefused,
    SessionError,
    TooFast,
)
from sessions.services.suggestions import need_indexes


def _clean_identity(live_session: LiveSession, presence: str, display_name: str) -> str:
    if presence not in Presence.values:
        raise InvalidInput(_("Please say whether you are in the room or joining remotely."))
    display_name = clean_text(
        display_name, field=_("Display name"), max_length=DISPLAY_NAME_MAX_LENGTH, required=False
    )
    if display_name and not live_session.allow_display_names:
        raise InvalidInput(_("This session uses pseudonyms only."))
    return display_name


def door_closed_message() -> str:
    return _(
        "The facilitators have closed the door for now: nobody new can join. "
        "Ask them, or try again in a while."
    )


def _proof_refused(kind: str) -> ProofRefused:
    message = {
        "expired": _(
            "This page was open for a long time and its check ran out. A new check is "
            "running: tap Join again in a moment."
        ),
        "replayed": _(
            "That check was already used to join. A new one is running: tap Join again in a moment."
        ),
    }.get(
        kind,
        _("This phone’s check did not work out. A new one is running: tap Join again in a moment."),
    )
    return ProofRefused(message, kind)


def _check_proof(live_session: LiveSession, proof: str | None) -> None:
    """Let a join through the door's proof of work (sessions.proof_of_work), or refuse it."""
    if proof is None:  # none was asked (no secure context, a command, a test)
        return
    if not proof:  # a browser without JavaScript: the side door, a few a minute
        try:
            ratelimit.hit(
                "join-without-proof",
                str(live_session.pk),
                limit=JOINS_WITHOUT_PROOF_PER_MINUTE,
                window=60,
            )
        except ratelimit.RateLimited as exc:
            raise TooFast(
                _(
                    "Joining without JavaScript is limited to a few people a minute, and they "
                    "have just come in. Please wait %(seconds)d seconds and tap Join again, or "
                    "turn JavaScript on."
                )
                % {"seconds": max(exc.retry_after, 1)},
                retry_after=exc.retry_after,
            ) from None
        return
    try:
        proof_of_work.check(live_session, proof)
    except proof_of_work.Refused as exc:
        raise _proof_refused(exc.kind) from None


def join_session(
    *,
    live_session: LiveSession,
    presence: str,
    agreed: bool,
    display_name: str = "",
    browser_key: str = "",
    proof: str | None = None,
) -> tuple[Participant, str]:
    """Add a participant with a pseudonym; return it and the secret for the device cookie.

    ``browser_key`` (sessions.identity.device_hash of the browser's device id) limits joins
    from one browser and refuses a browser whose participant a facilitator removed from this
    session; no IP address is used or kept. ``proof``: the solved challenge the join page
    asked for (sessions.proof_of_work), "" when it asked one and none came (a browser without
    JavaScript), None when it asked none. Refuses with InvalidInput without the agreement, a
    presence or with a name in a pseudonymous session, DoorClosed while the facilitators keep
    the door closed (checked again under the session's row lock, so no join slips in after
    the door closes), ProofRefused for a proof that is not a genuine, fresh, unused solution
    of this session's challenge, ParticipantRemoved for a removed browser, TooFast past the
    join limits or past JOINS_WITHOUT_PROOF_PER_MINUTE joins without a proof (all counted
    before the transaction begins, so a hung cache holds no lock; a refused proof counts
    against no limit). Emits ``participant_joined``."""
    if not agreed:
        raise InvalidInput(_("Please accept the community agreement to join."))
    display_name = _clean_identity(live_session, presence, display_name)
    if live_session.door_closed:
        raise DoorClosed(door_closed_message())
    _check_proof(live_session, proof)
    rate("join", str(live_session.pk), limit=JOINS_PER_MINUTE_PER_SESSION)
    if browser_key:
        rate("join-browser", browser_key, limit=JOINS_PER_MINUTE_PER_BROWSER)
    return _add_participant(
        live_session=live_session,
        presence=presence,
        display_name=display_name,
        browser_key=browser_key,
    )


@transaction.atomic
def _add_participant(
    *, live_session: LiveSession, presence: str, display_name: str, browser_key: str
) -> tuple[Participant, str]:
    if browser_key and browser_removed(live_session, browser_key):
        raise ParticipantRemoved(_("A facilitator has removed you from this session."))
    token, token_hash = new_device_secret()
    # The session row lock orders joins (the live event bumps that row anyway): each takes the
    # next number and so the next pseudonym, without reading the room's names.
    counter = (
        LiveSession.objects.select_for_update()
        .only("pk", "joined_count", "door_closed")
        .get(pk=live_session.pk)
    )
    if counter.door_closed:  # closed while this join was on its way
        raise DoorClosed(door_closed_message())
    for _attempt in range(20):
        number = counter.joined_count
        counter.joined_count += 1
        try:
            with transaction.atomic():  # a savepoint: a name taken before numbering began
                participant = Participant.objects.create(
                    live_session=live_session,
                    token_hash=token_hash,
                    public_id=secrets.token_hex(6),
                    pseudonym=nth_pseudonym(number, seed=live_session.pk),
                    display_name=display_name,
                    presence=presence,
                    agreed_at=timezone.now(),
                    device_hash=browser_key,
                )
            break
        except IntegrityError:
            continue
    else:  # only sessions older than the numbering hold random names to collide with
        raise SessionError("could not find a free pseudonym")
    counter.save(update_fields=["joined_count"])
    events.participant_joined(participant)
    return participant, token


@transaction.atomic
def update_participant(
    *, participant: Participant, presence: str, display_name: str
) -> Participant:
    """Change where a participant is, or the name they show. Emits ``participant_updated``."""
    participant, live_session = locked_participant(participant)
    participant.display_name = _clean_identity(live_session, presence, display_name)
    participant.presence = presence
    participant.save(update_fields=["presence", "display_name"])
    events.participant_updated(participant)
    return participant


@retry_on_lock_conflict
@transaction.atomic
def erase_participant(*, participant: Participant) -> None:
    """Erase a participant, removed or not, with everything they wrote or voted and every
    trace that links to them: nothing of theirs remains in any table or cache key.

    Everything they wrote, and what the facilitators' actions kept of it (a correction's old
    text, a merge's records), hangs off their row and goes with it (CASCADE); the moderation
    log only points at rows (SET_NULL) and then reads "erased". Needs of others that a
    facilitator merged into theirs come back first, and so do mappings folded into theirs
    (sessions.services.unmerging), rather than go with them. Their rate-limit counters go after
    commit. A removed participant's browser stays removed: only a keyed digest of its device
    hash is kept (models.RemovedBrowser), linked to nothing they wrote.

    Emits ``merge_undone`` for each merge undone, then ``participant_erased`` with their
    needs and the others' needs that lose their dots or mappings."""
    from sessions.models import Mapping, MergedMapping, RemovedBrowser
    from sessions.services import unmerging

    participant, live_session = locked_participant(participant, removed_too=True)
    own = list(Need.objects.filter(author=participant).values_list("pk", flat=True))
    mappings = Mapping.objects.filter(author=participant)
    folded_into_theirs = MergedMapping.objects.filter(
        into__in=mappings.values("pk"), folded=True
    ).values_list("mapping__need_id", flat=True)
    lock_needs(needs_of(participant) | set(unmerging.duplicates_of(own)) | set(folded_into_theirs))
    written = own
    touched = needs_touched_by(participant)
    unmerging.undo_merges_into(own)
    unfolded = unmerging.unfold_into(
        list(mappings.exclude(need_id__in=own).values_list("pk", flat=True))
    )
    if participant.removed_at and participant.device_hash:
        RemovedBrowser.objects.get_or_create(
            live_session=live_session, digest=removed_digest(participant.device_hash)
        )
    forget = (str(participant.pk), participant.device_hash)
    participant.delete()
    unmerging.settle_unfolded(unfolded)
    transaction.on_commit(lambda: _forget_counters(*forget), robust=True)
    # What their needs said, as this worker's merge suggestions keep it (stems, no text).
    transaction.on_commit(lambda: need_indexes.forget(live_session.pk), robust=True)
    events.participant_left(live_session.pk, written=written, touched=touched, removed=False)


def _forget_counters(participant_key: str, browser_key: str) -> None:
    """The erased participant's rate-limit counters (keyed by their pk and their browser)."""
    ratelimit.forget_all(["need", "write"], participant_key, window=60)
    if browser_key:
        ratelimit.forget_all(["join-browser"], browser_key, window=60)


def browser_removed(live_session: LiveSession, browser_key: str) -> bool:
    """Was the participant of this browser (``browser_key``: its device hash) removed from the
    session, even if they have erased themselves since?"""
    from sessions.models import RemovedBrowser

    return (
        live_session.participants.filter(device_hash=browser_key, removed_at__isnull=False).exists()
        or RemovedBrowser.objects.filter(
            live_session=live_session, digest=removed_digest(browser_key)
        ).exists()
    )


def touch(participant: Participant) -> None:
    """Record that a participant is active (for the facilitators' live counts), at most once a
    minute per participant so page views do not turn into writes."""
    now = timezone.now()
    if now - participant.last_seen_at > timedelta(minutes=1):
        Participant.objects.filter(pk=participant.pk).update(last_seen_at=now)
        participant.last_seen_at = now
