"""What every service checks before it writes: clean text, rate limits, the phase, and row locks
that serialise one person's (or one session's) concurrent requests."""

import unicodedata
from functools import wraps

from django.utils.translation import gettext as _

from sessions import ratelimit
from sessions.enums import ContributionStatus
from sessions.models import LiveSession, Mapping, ModerationAction, Participant, Vote
from sessions.phases import allows
from sessions.services.errors import (
    InvalidInput,
    NotYours,
    ParticipantRemoved,
    PhaseClosed,
    TooFast,
)

# Posting limits: generous for a person, tight for a script. A session's own limits bound what a
# crowd of scripted participants could do without punishing a full room: a plenary of 1,000
# joining in its first minute is a third of the join limit.
NEEDS_PER_MINUTE = 6
WRITES_PER_MINUTE = 40
JOINS_PER_MINUTE_PER_BROWSER = 5
JOINS_PER_MINUTE_PER_SESSION = 3000
# Joins without a proof of work (a browser without JavaScript) where the join page asks one
# (sessions.proof_of_work): a side door that lets a few people a minute in, and so a script
# no more than that.
JOINS_WITHOUT_PROOF_PER_MINUTE = 10
NEEDS_PER_MINUTE_PER_SESSION = 600


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    """Normalise user text: NFC, no control characters but newlines, trimmed, bounded.

    Raises InvalidInput when required text is empty (or only invisible characters) or too long."""
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


def rate(scope: str, key: str, *, limit: int, window: int = 60) -> None:
    """Count one action against a limit; raises TooFast with the seconds to wait."""
    try:
        ratelimit.hit(scope, key, limit=limit, window=window)
    except ratelimit.RateLimited as exc:
        raise TooFast(
            _("You are going a little fast. Please wait %(seconds)d seconds and try again.")
            % {"seconds": max(exc.retry_after, 1)},
            retry_after=exc.retry_after,
        ) from None


PER_PARTICIPANT, PER_SESSION = "participant", "session"


def rate_limited(*limits: tuple[str, str, int]):
    """Count a participant's call against ``limits`` ((scope, PER_PARTICIPANT or PER_SESSION,
    per minute), in order) before the service's transaction begins: a slow or hung cache then
    holds no row lock, and TooFast refuses before anything is read. Goes above
    ``@transaction.atomic``."""

    def decorator(service):
        @wraps(service)
        def limited(*, participant: Participant, **kwargs):
            for scope, whose, limit in limits:
                key = participant.pk if whose == PER_PARTICIPANT else participant.live_session_id
                rate(scope, str(key), limit=limit)
            return service(participant=participant, **kwargs)

        return limited

    return decorator


def require_phase(live_session: LiveSession, action: str) -> None:
    """Raises PhaseClosed while input is locked, once the phase's timer has run out (when the
    session closes input at zero), or when the phase does not allow ``action``."""
    if live_session.input_locked:
        raise PhaseClosed(_("The facilitators have paused input for a moment."))
    if live_session.input_closed_by_timer and allows(live_session.phase, action):
        raise PhaseClosed(_("Time is up for this phase. The facilitators can give more time."))
    if not allows(live_session.phase, action):
        raise PhaseClosed(
            _("That is not open in the %(phase)s phase.")
            % {"phase": live_session.get_phase_display()}
        )


def locked_participant(participant: Participant) -> tuple[Participant, LiveSession]:
    """Re-read the participant FOR UPDATE, so one person's concurrent requests (several tabs or
    devices) run one after another, and the live session as it is now.

    Raises ParticipantRemoved for an erased or removed participant."""
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


def locked_session(live_session: LiveSession) -> LiveSession:
    """The session re-read FOR UPDATE: facilitators' changes to one session run one at a time."""
    return LiveSession.objects.select_for_update().get(pk=live_session.pk)


def initial_status(live_session: LiveSession) -> str:
    """Visible at once, or waiting for a facilitator when the session pre-moderates."""
    return ContributionStatus.PENDING if live_session.premoderation else ContributionStatus.VISIBLE


def require_author(participant: Participant, contribution) -> None:
    """Raises NotYours unless ``participant`` wrote ``contribution``."""
    if contribution.author_id != participant.pk:
        raise NotYours(_("You can only change what you wrote."))


def log(live_session: LiveSession, actor, action: str, target: str, **details) -> None:
    """Keep a facilitator's action in the session's moderation log."""
    ModerationAction.objects.create(
        live_session=live_session, actor=actor, action=action, target=target, details=details
    )


def needs_touched_by(participant: Participant) -> set[int]:
    """Needs whose cards change when this participant's dots and mappings go."""
    voted = Vote.objects.filter(participant=participant, need__isnull=False).values_list(
        "need_id", flat=True
    )
    mapped = Mapping.objects.filter(author=participant).values_list("need_id", flat=True)
    return set(voted) | set(mapped)
