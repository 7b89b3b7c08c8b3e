"""Write side of live sessions: one function per use case, each one transaction.

Services validate again what forms validated (they are also called from consumers, commands and
tests), refuse with a SessionError subclass carrying a message a participant can read, and
schedule the matching broadcast, which runs only after commit (sessions.broadcast)."""

import hashlib
import secrets
import unicodedata
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions import broadcast, ratelimit
from sessions.enums import PHASE_ORDER, ContributionStatus, GapKind, Presence
from sessions.models import (
    ANNOUNCEMENT_MAX_LENGTH,
    CONTEXT_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    GAP_MAX_LENGTH,
    NEED_MAX_LENGTH,
    REASON_MAX_LENGTH,
    GapNote,
    LiveSession,
    Mapping,
    ModerationAction,
    Need,
    Participant,
    Vote,
    new_join_code,
)
from sessions.phases import allows
from sessions.pseudonyms import random_pseudonym
from taxonomy.models import Strategy, Taxonomy

# Posting limits: generous for a person, tight for a script.
NEEDS_PER_MINUTE = 6
WRITES_PER_MINUTE = 40
JOINS_PER_MINUTE_PER_SESSION = 300
JOINS_PER_MINUTE_PER_BROWSER = 5


class SessionError(Exception):
    """An expected refusal; ``str(exc)`` is shown to the person who acted."""


class InvalidInput(SessionError):
    pass


class PhaseClosed(SessionError):
    pass


class NotYours(SessionError):
    pass


class BudgetExhausted(SessionError):
    pass


class CapReached(SessionError):
    pass


class TooFast(SessionError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ParticipantRemoved(SessionError):
    pass


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    """Normalise user text: NFC, no control characters but newlines, trimmed, bounded."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(
        ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
    if not any(unicodedata.category(ch) != "Cf" and not ch.isspace() for ch in value):
        value = ""  # only invisible characters (zero-width spaces, joiners...): nothing typed
    if required and not value:
        raise InvalidInput(_("%(field)s cannot be empty.") % {"field": field})
    if len(value) > max_length:
        raise InvalidInput(
            _("%(field)s is too long: %(length)d characters, at most %(max)d.")
            % {"field": field, "length": len(value), "max": max_length}
        )
    return value


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _rate(scope: str, key: str, *, limit: int, window: int = 60) -> None:
    try:
        ratelimit.hit(scope, key, limit=limit, window=window)
    except ratelimit.RateLimited as exc:
        raise TooFast(
            _("You are going a little fast. Please wait %(seconds)d seconds and try again.")
            % {"seconds": max(exc.retry_after, 1)},
            retry_after=exc.retry_after,
        ) from None


def _require_phase(live_session: LiveSession, action: str) -> None:
    if live_session.input_locked:
        raise PhaseClosed(_("The facilitators have paused input for a moment."))
    if not allows(live_session.phase, action):
        raise PhaseClosed(
            _("That is not open in the %(phase)s phase.")
            % {"phase": live_session.get_phase_display()}
        )


def _locked_participant(participant: Participant) -> tuple[Participant, LiveSession]:
    """Re-read the participant FOR UPDATE, so one person's concurrent requests (several tabs or
    devices) run one after another, and the live session as it is now."""
    try:
        # One query: only the participant row is locked; the session is read as it is now.
        locked = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("live_session")
            .get(pk=participant.pk)
        )
    except Participant.DoesNotExist:
        raise ParticipantRemoved(_("You are no longer part of this session.")) from None
    if locked.removed_at:
        raise ParticipantRemoved(_("A facilitator has removed you from this session."))
    return locked, locked.live_session


def _initial_status(live_session: LiveSession) -> str:
    return ContributionStatus.PENDING if live_session.premoderation else ContributionStatus.VISIBLE


# --- sessions -----------------------------------------------------------------------------


@transaction.atomic
def create_live_session(
    *, title: str, taxonomy: Taxonomy, question: str = "", facilitator=None, **options
) -> LiveSession:
    """Create a session with a fresh, unique join code; ``facilitator`` runs it."""
    title = clean_text(title, field=_("Title"), max_length=200)
    for _attempt in range(20):
        code = new_join_code()
        if not LiveSession.objects.filter(code=code).exists():
            break
    else:  # 25**6 codes: reaching this means something is badly wrong
        raise SessionError("could not find a free join code")
    co_facilitators = options.pop("facilitators", ())
    live_session = LiveSession.objects.create(
        code=code, title=title, question=question, taxonomy=taxonomy, **options
    )
    live_session.facilitators.add(*co_facilitators)
    if facilitator is not None:
        live_session.facilitators.add(facilitator)
    return live_session


@transaction.atomic
def set_phase(
    *, live_session: LiveSession, phase: str, minutes: int | None = None, actor=None
) -> LiveSession:
    """Move the session to ``phase``, optionally with a timer; every screen follows."""
    if phase not in PHASE_ORDER:
        raise InvalidInput(_("Unknown phase."))
    live_session = LiveSession.objects.select_for_update().get(pk=live_session.pk)
    live_session.phase = phase
    live_session.input_locked = False
    live_session.timer_remaining = None
    live_session.phase_ends_at = timezone.now() + timedelta(minutes=minutes) if minutes else None
    live_session.save(update_fields=["phase", "input_locked", "timer_remaining", "phase_ends_at"])
    if actor is not None:
        ModerationAction.objects.create(
            live_session=live_session, actor=actor, action="phase", target=phase
        )
    broadcast.session_changed(live_session.pk, regions={"phase", "spotlight"}, phase_changed=True)
    return live_session


# --- joining --------------------------------------------------------------------------------


@transaction.atomic
def join_session(
    *,
    live_session: LiveSession,
    presence: str,
    agreed: bool,
    display_name: str = "",
    browser_key: str = "",
) -> tuple[Participant, str]:
    """Add a participant with a pseudonym; return it and the secret for the device cookie.

    ``browser_key`` (the Django session key) rate-limits joins from one browser; no IP address
    is used or kept."""
    if not agreed:
        raise InvalidInput(_("Please accept the community agreement to join."))
    if presence not in Presence.values:
        raise InvalidInput(_("Please say whether you are in the room or joining remotely."))
    display_name = clean_text(
        display_name, field=_("Display name"), max_length=DISPLAY_NAME_MAX_LENGTH, required=False
    )
    if display_name and not live_session.allow_display_names:
        raise InvalidInput(_("This session uses pseudonyms only."))
    _rate("join", str(live_session.pk), limit=JOINS_PER_MINUTE_PER_SESSION)
    if browser_key:
        _rate("join-browser", browser_key, limit=JOINS_PER_MINUTE_PER_BROWSER)
    token = secrets.token_urlsafe(32)
    taken = set(live_session.participants.values_list("pseudonym", flat=True))
    participant = Participant.objects.create(
        live_session=live_session,
        token_hash=hash_token(token),
        public_id=secrets.token_hex(6),
        pseudonym=random_pseudonym(taken),
        display_name=display_name,
        presence=presence,
        agreed_at=timezone.now(),
    )
    broadcast.session_changed(live_session.pk, regions={"counts"})
    return participant, token


def participant_for_token(live_session: LiveSession, token: str) -> Participant | None:
    return _participant_holding(token, live_session=live_session)


def participant_by_code(code: str, token: str) -> Participant | None:
    """The participant holding ``token`` in the session at join code ``code``, with the
    session and its taxonomy (one query)."""
    return _participant_holding(token, live_session__code=code)


def _participant_holding(token: str, **session) -> Participant | None:
    """The participant (not removed) whose device cookie is ``token``, in the session that
    ``session`` selects, read with that session and its taxonomy."""
    if not token:
        return None
    return (
        Participant.objects.filter(token_hash=hash_token(token), removed_at__isnull=True, **session)
        .select_related("live_session__taxonomy")
        .first()
    )


@transaction.atomic
def update_participant(
    *, participant: Participant, presence: str, display_name: str
) -> Participant:
    """Change where a participant is, or the name they show."""
    participant, live_session = _locked_participant(participant)
    if presence not in Presence.values:
        raise InvalidInput(_("Please say whether you are in the room or joining remotely."))
    display_name = clean_text(
        display_name, field=_("Display name"), max_length=DISPLAY_NAME_MAX_LENGTH, required=False
    )
    if display_name and not live_session.allow_display_names:
        raise InvalidInput(_("This session uses pseudonyms only."))
    participant.presence = presence
    participant.display_name = display_name
    participant.save(update_fields=["presence", "display_name"])
    broadcast.session_changed(live_session.pk, regions={"counts", "all_needs"})
    return participant


def _needs_touched_by(participant: Participant) -> set[int]:
    """Needs whose cards change when this participant's dots and mappings go."""
    voted = Vote.objects.filter(participant=participant, need__isnull=False).values_list(
        "need_id", flat=True
    )
    mapped = Mapping.objects.filter(author=participant).values_list("need_id", flat=True)
    return set(voted) | set(mapped)


@transaction.atomic
def erase_participant(*, participant: Participant) -> None:
    """Erase a participant and everything they wrote or voted; every screen updates."""
    participant, live_session = _locked_participant(participant)
    need_ids = list(Need.objects.filter(author=participant).values_list("pk", flat=True))
    touched = _needs_touched_by(participant)
    participant.delete()
    broadcast.session_changed(
        live_session.pk,
        regions={"counts", "grid", "gaps", "split"},
        needs_removed=need_ids,
        needs_changed=touched - set(need_ids),
    )


# --- needs ----------------------------------------------------------------------------------


@transaction.atomic
def post_need(
    *, participant: Participant, text: str, context: str = "", client_key: str = ""
) -> Need:
    """Post a need in the needs (or mapping) phase.

    ``client_key`` (the form's submission id) makes the post idempotent: the same key from the
    same participant returns the need already posted (a double tap, a retried request)."""
    participant, live_session = _locked_participant(participant)
    client_key = (client_key or "").strip()[:64]
    if client_key and (
        already := Need.objects.filter(author=participant, client_key=client_key).first()
    ):
        return already
    _require_phase(live_session, "need")
    text = clean_text(text, field=_("Your need"), max_length=NEED_MAX_LENGTH)
    context = clean_text(
        context, field=_("Community or platform"), max_length=CONTEXT_MAX_LENGTH, required=False
    )
    _rate("need", str(participant.pk), limit=NEEDS_PER_MINUTE)
    _rate("write", str(participant.pk), limit=WRITES_PER_MINUTE)
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate loses cleanly
            need = Need.objects.create(
                live_session=live_session,
                author=participant,
                text=text,
                context=context,
                status=_initial_status(live_session),
                client_key=client_key,
            )
    except IntegrityError:
        if not client_key:
            raise
        return Need.objects.get(author=participant, client_key=client_key)
    broadcast.session_changed(live_session.pk, regions={"counts"}, needs_changed=[need.pk])
    return need


def _own(participant: Participant, contribution) -> None:
    if contribution.author_id != participant.pk:
        raise NotYours(_("You can only change what you wrote."))


@transaction.atomic
def edit_need(*, participant: Participant, need: Need, text: str, context: str = "") -> Need:
    """Edit one's own need while needs can be posted."""
    participant, live_session = _locked_participant(participant)
    need = Need.objects.select_for_update().get(pk=need.pk)
    _own(participant, need)
    _require_phase(live_session, "need")
    need.text = clean_text(text, field=_("Your need"), max_length=NEED_MAX_LENGTH)
    need.context = clean_text(
        context, field=_("Community or platform"), max_length=CONTEXT_MAX_LENGTH, required=False
    )
    _rate("write", str(participant.pk), limit=WRITES_PER_MINUTE)
    need.edited = True
    need.save(update_fields=["text", "context", "edited", "updated"])
    broadcast.session_changed(live_session.pk, regions={"grid"}, needs_changed=[need.pk])
    return need


@transaction.atomic
def delete_need(*, participant: Participant, need: Need) -> None:
    """Withdraw one's own need (any phase), with its mappings, votes and gap notes."""
    participant, live_session = _locked_participant(participant)
    _own(participant, need)
    need_id = need.pk
    need.delete()
    broadcast.session_changed(
        live_session.pk, regions={"counts", "grid", "gaps", "split"}, needs_removed=[need_id]
    )


# --- mapping --------------------------------------------------------------------------------


@transaction.atomic
def map_need(
    *, participant: Participant, need: Need, strategies: list[Strategy], reason: str = ""
) -> list[Mapping]:
    """Map a visible need onto one or more strategies of the session's taxonomy.

    A pair already mapped by someone is kept as it is (they can vote on it instead); the
    returned list holds only the mappings this call created."""
    participant, live_session = _locked_participant(participant)
    _require_phase(live_session, "mapping")
    if need.live_session_id != live_session.pk or need.status != ContributionStatus.VISIBLE:
        raise InvalidInput(_("That need is not available."))
    if not strategies:
        raise InvalidInput(_("Choose at least one strategy."))
    if any(strategy.taxonomy_id != live_session.taxonomy_id for strategy in strategies):
        raise InvalidInput(_("That strategy is not part of this session's taxonomy."))
    reason = clean_text(reason, field=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)
    _rate("write", str(participant.pk), limit=WRITES_PER_MINUTE)
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
                    Mapping.objects.create(
                        live_session=live_session,
                        author=participant,
                        need=need,
                        strategy=strategy,
                        reason=reason,
                        status=_initial_status(live_session),
                    )
                )
        except IntegrityError:
            continue
    if created:
        broadcast.session_changed(
            live_session.pk, regions={"grid", "split"}, needs_changed=[need.pk]
        )
    return created


@transaction.atomic
def delete_mapping(*, participant: Participant, mapping: Mapping) -> None:
    """Withdraw one's own mapping (any phase), with the dots and gap notes on it."""
    participant, live_session = _locked_participant(participant)
    _own(participant, mapping)
    need_id = mapping.need_id
    mapping.delete()
    broadcast.session_changed(
        live_session.pk, regions={"grid", "gaps", "split"}, needs_changed=[need_id]
    )


# --- dot voting -----------------------------------------------------------------------------


def _vote_target(live_session: LiveSession, need: Need | None, mapping: Mapping | None):
    if (need is None) == (mapping is None):
        raise InvalidInput(_("Vote for one need or one mapping."))
    item = need or mapping
    if item.live_session_id != live_session.pk or item.status != ContributionStatus.VISIBLE:
        raise InvalidInput(_("That item is not available."))
    return {"need": need} if need else {"mapping": mapping}


def _vote_changed(live_session: LiveSession, need: Need | None, mapping: Mapping | None) -> None:
    need_id = need.pk if need else mapping.need_id
    broadcast.session_changed(
        live_session.pk, regions={"grid", "split"} if mapping else set(), tallies=[need_id]
    )


@transaction.atomic
def add_dot(
    *, participant: Participant, need: Need | None = None, mapping: Mapping | None = None
) -> Vote:
    """Place one more dot on a need or a mapping.

    The participant row is locked first, so the budget holds even against concurrent requests
    from the same person on several devices. Refuses past the budget or the per-item cap."""
    participant, live_session = _locked_participant(participant)
    _require_phase(live_session, "vote")
    target = _vote_target(live_session, need, mapping)
    _rate("write", str(participant.pk), limit=WRITES_PER_MINUTE)
    # All of the participant's votes in one query: the budget is their sum, and the one on
    # this item (if any) is among them.
    votes = list(Vote.objects.filter(participant=participant))
    if sum(v.dots for v in votes) >= live_session.dot_budget:
        raise BudgetExhausted(
            _("You have used all %(budget)d of your dots. Take one back to move it.")
            % {"budget": live_session.dot_budget}
        )
    vote = next((v for v in votes if _is_vote_on(v, need, mapping)), None)
    if vote is None:
        vote = Vote.objects.create(
            live_session=live_session, participant=participant, dots=1, **target
        )
    elif vote.dots >= live_session.dot_cap:
        raise CapReached(
            _("At most %(cap)d dots can go on one item.") % {"cap": live_session.dot_cap}
        )
    else:
        vote.dots += 1
        vote.save(update_fields=["dots"])
    _vote_changed(live_session, need, mapping)
    return vote


def _is_vote_on(vote: Vote, need: Need | None, mapping: Mapping | None) -> bool:
    if need is not None:
        return vote.need_id == need.pk
    return vote.mapping_id == mapping.pk


@transaction.atomic
def remove_dot(
    *, participant: Participant, need: Need | None = None, mapping: Mapping | None = None
) -> int:
    """Take one dot back from a need or mapping; return the dots left on it. Allowed in any
    phase that allows voting; taking back nothing is a no-op, not an error."""
    participant, live_session = _locked_participant(participant)
    _require_phase(live_session, "vote")
    target = _vote_target(live_session, need, mapping)
    vote = Vote.objects.filter(participant=participant, **target).first()
    if vote is None:
        return 0
    if vote.dots > 1:
        vote.dots -= 1
        vote.save(update_fields=["dots"])
        remaining = vote.dots
    else:
        vote.delete()
        remaining = 0
    _vote_changed(live_session, need, mapping)
    return remaining


# --- gaps -----------------------------------------------------------------------------------


@transaction.atomic
def annotate_gap(
    *,
    participant: Participant,
    kind: str,
    text: str,
    strategy: Strategy | None = None,
    mapping: Mapping | None = None,
) -> GapNote:
    """Note what is missing for one's community, on a strategy or on a mapping."""
    participant, live_session = _locked_participant(participant)
    _require_phase(live_session, "gap")
    if kind not in GapKind.values:
        raise InvalidInput(_("Choose what kind of gap this is."))
    if mapping is not None:
        if mapping.live_session_id != live_session.pk:
            raise InvalidInput(_("That mapping is not available."))
        strategy = mapping.strategy
    if strategy is None or strategy.taxonomy_id != live_session.taxonomy_id:
        raise InvalidInput(_("Choose a strategy or a mapping for this gap."))
    text = clean_text(text, field=_("Gap"), max_length=GAP_MAX_LENGTH)
    _rate("write", str(participant.pk), limit=WRITES_PER_MINUTE)
    note = GapNote.objects.create(
        live_session=live_session,
        author=participant,
        strategy=strategy,
        mapping=mapping,
        kind=kind,
        text=text,
        status=_initial_status(live_session),
    )
    broadcast.session_changed(live_session.pk, regions={"gaps", "grid"})
    return note


@transaction.atomic
def delete_gap_note(*, participant: Participant, gap_note: GapNote) -> None:
    """Withdraw one's own gap note (any phase)."""
    participant, live_session = _locked_participant(participant)
    _own(participant, gap_note)
    gap_note.delete()
    broadcast.session_changed(live_session.pk, regions={"gaps", "grid"})


def touch(participant: Participant) -> None:
    """Record that a participant is active (for the facilitators' live counts), at most once a
    minute per participant so page views do not turn into writes."""
    now = timezone.now()
    if now - participant.last_seen_at > timedelta(minutes=1):
        Participant.objects.filter(pk=participant.pk).update(last_seen_at=now)
        participant.last_seen_at = now


# --- facilitation ---------------------------------------------------------------------------
# Callers have checked that ``actor`` facilitates the session (permissions.py).


def _log(live_session: LiveSession, actor, action: str, target: str, **details) -> None:
    ModerationAction.objects.create(
        live_session=live_session, actor=actor, action=action, target=target, details=details
    )


def _locked_session(live_session: LiveSession) -> LiveSession:
    return LiveSession.objects.select_for_update().get(pk=live_session.pk)


@transaction.atomic
def configure_session(*, live_session: LiveSession, actor, **fields) -> LiveSession:
    """Change a session's settings (title, question, prompts, phases, dots, moderation...)."""
    live_session = _locked_session(live_session)
    if "dot_cap" in fields and fields["dot_cap"] < 1:
        raise InvalidInput(_("At least one dot must fit on an item."))
    if "enabled_phases" in fields:
        fields["enabled_phases"] = [p for p in PHASE_ORDER if p in fields["enabled_phases"]]
        if not fields["enabled_phases"]:
            raise InvalidInput(_("Use at least one phase."))
    facilitators = fields.pop("facilitators", None)
    for name, value in fields.items():
        setattr(live_session, name, value)
    live_session.save()
    if facilitators is not None:
        # Whoever saves the settings stays a facilitator: nobody can lock themselves out.
        live_session.facilitators.set({*facilitators, actor} if actor else facilitators)
    _log(live_session, actor, "configure", "session", fields=sorted(fields))
    broadcast.session_changed(live_session.pk, regions=set(broadcast.ALL_REGIONS))
    return live_session


def next_phase(live_session: LiveSession, step: int = 1) -> str | None:
    """The next (or previous, step=-1) phase among the phases this session uses."""
    phases = [p for p in PHASE_ORDER if p in live_session.enabled_phases]
    if live_session.phase not in phases:
        return phases[0] if phases else None
    index = phases.index(live_session.phase) + step
    return phases[index] if 0 <= index < len(phases) else None


@transaction.atomic
def set_timer(*, live_session: LiveSession, actor, command: str, minutes: int = 0) -> LiveSession:
    """Start (for ``minutes``), pause, resume, extend (by ``minutes``) or clear the timer."""
    live_session = _locked_session(live_session)
    now = timezone.now()
    if command == "start":
        if not 1 <= minutes <= 180:
            raise InvalidInput(_("A timer runs from 1 to 180 minutes."))
        live_session.phase_ends_at = now + timedelta(minutes=minutes)
        live_session.timer_remaining = None
    elif command == "pause" and live_session.phase_ends_at:
        live_session.timer_remaining = max(live_session.phase_ends_at - now, timedelta(0))
        live_session.phase_ends_at = None
    elif command == "resume" and live_session.timer_remaining is not None:
        live_session.phase_ends_at = now + live_session.timer_remaining
        live_session.timer_remaining = None
    elif command == "extend":
        if not 1 <= minutes <= 60:
            raise InvalidInput(_("Extend by 1 to 60 minutes."))
        if live_session.phase_ends_at:
            live_session.phase_ends_at = max(live_session.phase_ends_at, now) + timedelta(
                minutes=minutes
            )
        elif live_session.timer_remaining is not None:
            live_session.timer_remaining += timedelta(minutes=minutes)
        else:
            live_session.phase_ends_at = now + timedelta(minutes=minutes)
    elif command == "clear":
        live_session.phase_ends_at = None
        live_session.timer_remaining = None
    else:
        raise InvalidInput(_("That timer control is not available now."))
    live_session.save(update_fields=["phase_ends_at", "timer_remaining"])
    _log(live_session, actor, f"timer-{command}", "session", minutes=minutes)
    broadcast.session_changed(live_session.pk, regions={"phase"})
    return live_session


@transaction.atomic
def set_input_lock(*, live_session: LiveSession, actor, locked: bool) -> LiveSession:
    """Lock or unlock participants' input in the current phase; withdrawing stays possible."""
    live_session = _locked_session(live_session)
    live_session.input_locked = locked
    live_session.save(update_fields=["input_locked"])
    _log(live_session, actor, "lock" if locked else "unlock", "session")
    broadcast.session_changed(live_session.pk, regions={"phase"}, phase_changed=True)
    return live_session


@transaction.atomic
def announce(*, live_session: LiveSession, actor, text: str) -> LiveSession:
    """Show a short announcement on every screen (empty text clears it)."""
    live_session = _locked_session(live_session)
    live_session.announcement = clean_text(
        text, field=_("Announcement"), max_length=ANNOUNCEMENT_MAX_LENGTH, required=False
    )
    live_session.save(update_fields=["announcement"])
    _log(live_session, actor, "announce", "session", text=live_session.announcement)
    broadcast.session_changed(live_session.pk, regions={"phase"})
    return live_session


@transaction.atomic
def spotlight(
    *, live_session: LiveSession, actor, need: Need | None = None, strategy: Strategy | None = None
) -> LiveSession:
    """Put one need or one strategy in the spotlight on the board (neither clears it)."""
    live_session = _locked_session(live_session)
    if need is not None and need.live_session_id != live_session.pk:
        raise InvalidInput(_("That need is not part of this session."))
    if strategy is not None and strategy.taxonomy_id != live_session.taxonomy_id:
        raise InvalidInput(_("That strategy is not part of this session's taxonomy."))
    live_session.spotlight_need = need
    live_session.spotlight_strategy = strategy
    live_session.save(update_fields=["spotlight_need", "spotlight_strategy"])
    target = f"need-{need.pk}" if need else f"strategy-{strategy.pk}" if strategy else "none"
    _log(live_session, actor, "spotlight", target)
    broadcast.session_changed(live_session.pk, regions={"spotlight"})
    return live_session


def _contribution_regions(contribution) -> dict:
    if isinstance(contribution, Need):
        return {"regions": {"counts", "grid", "split", "gaps"}, "needs_changed": [contribution.pk]}
    if isinstance(contribution, Mapping):
        return {"regions": {"grid", "split"}, "needs_changed": [contribution.need_id]}
    return {"regions": {"gaps", "grid"}}


@transaction.atomic
def moderate(*, actor, contribution, status: str) -> None:
    """Hide, restore or approve (from the pre-moderation queue) a need, mapping or gap note."""
    if status not in ContributionStatus.values:
        raise InvalidInput(_("Unknown moderation status."))
    model = type(contribution)
    contribution = model.objects.select_for_update().get(pk=contribution.pk)
    before = contribution.status
    if before == status:
        return
    contribution.status = status
    contribution.save(update_fields=["status", "updated"])
    live_session = LiveSession.objects.get(pk=contribution.live_session_id)
    _log(
        live_session,
        actor,
        {ContributionStatus.HIDDEN: "hide", ContributionStatus.VISIBLE: "show"}.get(status, status),
        f"{model._meta.model_name}-{contribution.pk}",
        before=before,
        after=status,
    )
    broadcast.session_changed(live_session.pk, **_contribution_regions(contribution))


@transaction.atomic
def correct_need(*, actor, need: Need, text: str, context: str) -> Need:
    """Fix a typo in someone's need; the old and new text are kept in the moderation log."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    before = {"text": need.text, "context": need.context}
    need.text = clean_text(text, field=_("Need"), max_length=NEED_MAX_LENGTH)
    need.context = clean_text(
        context, field=_("Community or platform"), max_length=CONTEXT_MAX_LENGTH, required=False
    )
    need.edited = True
    need.save(update_fields=["text", "context", "edited", "updated"])
    _log(
        LiveSession.objects.get(pk=need.live_session_id),
        actor,
        "edit",
        f"need-{need.pk}",
        before=before,
        after={"text": need.text, "context": need.context},
    )
    broadcast.session_changed(need.live_session_id, regions={"grid"}, needs_changed=[need.pk])
    return need


@transaction.atomic
def merge_needs(*, actor, keep: Need, duplicate: Need) -> Need:
    """Merge ``duplicate`` into ``keep``: its mappings and dots move over, then it goes.

    A participant who had dots on both keeps the larger of the two (never more than the cap),
    so no vote is counted twice and nobody's budget is exceeded; mappings to the same strategy
    merge the same way."""
    if keep.pk == duplicate.pk or keep.live_session_id != duplicate.live_session_id:
        raise InvalidInput(_("Choose two different needs of this session."))
    live_session = _locked_session(LiveSession.objects.get(pk=keep.live_session_id))
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
    _log(live_session, actor, "merge", f"need-{keep.pk}", merged=duplicate_id, merged_text=text)
    broadcast.session_changed(
        live_session.pk,
        regions={"counts", "grid", "split", "gaps"},
        needs_changed=[keep.pk],
        needs_removed=[duplicate_id],
    )
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


@transaction.atomic
def remove_participant(*, actor, participant: Participant) -> None:
    """Remove a participant: they can no longer act, and everything they wrote is hidden
    (kept, so a mistaken removal can be reviewed in the admin)."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.removed_at:
        return
    participant.removed_at = timezone.now()
    participant.save(update_fields=["removed_at"])
    hidden = ContributionStatus.HIDDEN
    need_ids = list(Need.objects.filter(author=participant).values_list("pk", flat=True))
    touched = _needs_touched_by(participant)
    Need.objects.filter(author=participant).update(status=hidden)
    Mapping.objects.filter(author=participant).update(status=hidden)
    GapNote.objects.filter(author=participant).update(status=hidden)
    Vote.objects.filter(participant=participant).delete()
    live_session = LiveSession.objects.get(pk=participant.live_session_id)
    _log(
        live_session,
        actor,
        "remove",
        f"participant-{participant.pk}",
        pseudonym=participant.pseudonym,
    )
    broadcast.session_changed(
        live_session.pk,
        regions={"counts", "grid", "split", "gaps"},
        needs_removed=need_ids,
        needs_changed=touched - set(need_ids),
    )


@transaction.atomic
def purge_contributions(*, live_session: LiveSession, actor) -> dict:
    """Retention: delete every participant and everything they contributed, keeping only the
    aggregate counts (overall, by presence, by strategy and by gap kind) on the session."""
    from sessions import queries

    live_session = _locked_session(live_session)
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
    _log(live_session, actor, "purge", "session")
    broadcast.session_changed(live_session.pk, regions=set(broadcast.ALL_REGIONS))
    return counts
