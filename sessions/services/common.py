"""What every service checks before it writes: clean text, rate limits, the phase, and row locks
that serialise one person's (or one session's) concurrent requests."""

import logging
import time
import unicodedata
from collections.abc import Iterable
from functools import wraps

from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from sessions import ratelimit
from sessions.enums import ContributionStatus
from sessions.models import (
    GapNote,
    LiveSession,
    Mapping,
    ModerationAction,
    Need,
    NeedMerge,
    Participant,
    Vote,
)
from sessions.phases import allows
from sessions.services.errors import (
    Conflict,
    InvalidInput,
    NotYours,
    ParticipantRemoved,
    PhaseClosed,
    TooFast,
)

logger = logging.getLogger(__name__)

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
                # A participant by their device's hashed token, which the quick way in for
                # votes (services.quick_votes) knows before it reads a row; both count alike.
                key = (
                    participant.token_hash
                    if whose == PER_PARTICIPANT
                    else str(participant.live_session_id)
                )
                rate(scope, key, limit=limit)
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


def locked_participant(
    participant: Participant, *, removed_too: bool = False
) -> tuple[Participant, LiveSession]:
    """Re-read the participant FOR UPDATE, so one person's concurrent requests (several tabs or
    devices) run one after another, and the live session as it is now.

    Raises ParticipantRemoved for an erased participant, and for a removed one unless
    ``removed_too`` (erasing oneself is allowed after a removal)."""
    try:
        # One query: only the participant row is locked; the session is read as it is now.
        locked = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("live_session")
            .get(pk=participant.pk)
        )
    except Participant.DoesNotExist:
        raise ParticipantRemoved(_("You are no longer part of this session.")) from None
    if locked.removed_at and not removed_too:
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


# What a log entry may point at (sessions.models.ModerationAction's foreign keys).
LOG_REFERENCES = (
    "need",
    "other_need",
    "mapping",
    "gap_note",
    "participant",
    "strategy",
    "merge",
    "correction",
    "suggestion",
)


def log(live_session: LiveSession, actor, action: str, target: str, **details) -> ModerationAction:
    """Keep a facilitator's action in the session's moderation log; returns the entry (for
    the toast's undo). Rows it concerns go in as references (keyword arguments named after
    LOG_REFERENCES), never copied: ``details`` holds numbers and statuses, no one's words."""
    references = {name: details.pop(name) for name in LOG_REFERENCES if name in details}
    return ModerationAction.objects.create(
        live_session=live_session,
        actor=actor,
        action=action,
        target=target,
        details=details,
        **references,
    )


# --- row locks -------------------------------------------------------------------------------
#
# One order for every write that touches a need's rows (the need, its mappings, the dots and
# gap notes on them), so that two such writes wait for each other instead of deadlocking:
# participants (in pk order), then needs (in pk order), then their mappings, dots and gap
# notes, and the session's row last (live.events bumps its sequence). A participant's write
# locks the need it writes on FOR SHARE (others may vote on it at the same time); a
# facilitator's action FOR UPDATE, so that a merge waits for the votes and mappings in flight
# on its needs, and they, once it is done, see it.


def lock_needs(pks: Iterable[int]) -> dict[int, Need]:
    """The needs with these pks, locked FOR UPDATE in pk order; a need no longer there (its
    author withdrew it) is missing from the answer."""
    pks = sorted(set(pks))
    return {
        need.pk: need for need in Need.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    }


def share_need(pk: int) -> Need | None:
    """The need, locked FOR SHARE (PostgreSQL; SQLite runs one writer at a time anyway), as
    it is now, or None if it is gone; one query. Django has no FOR SHARE, hence the SQL."""
    if connection.vendor != "postgresql":
        return Need.objects.filter(pk=pk).first()
    table = connection.ops.quote_name(Need._meta.db_table)
    # The table name is the model's own, quoted; the pk goes as a parameter.
    sql = f"SELECT * FROM {table} WHERE id = %s FOR SHARE"  # noqa: S608  # nosec B608: see above
    found = list(Need.objects.raw(sql, [pk]))
    return found[0] if found else None


def share_mapping(pk: int) -> Mapping | None:
    """The mapping, as it is once its need is locked FOR SHARE (a merge may move a mapping to
    another need: then that one is locked), or None if it is gone."""
    mapping = Mapping.objects.filter(pk=pk).first()
    for _attempt in range(3):
        if mapping is None:
            return None
        share_need(mapping.need_id)
        fresh = Mapping.objects.filter(pk=pk).first()
        if fresh is None or fresh.need_id == mapping.need_id:
            return fresh
        mapping = fresh
    return mapping


def lock_participants(pks: Iterable[int]) -> dict[int, Participant]:
    """Participants locked FOR UPDATE in pk order (those erased are missing)."""
    pks = sorted(set(pks))
    return {
        person.pk: person
        for person in Participant.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    }


def needs_of(participant: Participant) -> set[int]:
    """Every need whose rows a removal, a restore or an erasure of ``participant`` changes:
    those they wrote, and those they voted, mapped or noted a gap on (one query each)."""
    return (
        set(Need.objects.filter(author=participant).values_list("pk", flat=True))
        | set(
            Vote.with_hidden.filter(participant=participant, need__isnull=False).values_list(
                "need_id", flat=True
            )
        )
        | set(
            Vote.with_hidden.filter(participant=participant, mapping__isnull=False).values_list(
                "mapping__need_id", flat=True
            )
        )
        | set(Mapping.objects.filter(author=participant).values_list("need_id", flat=True))
        | set(
            GapNote.objects.filter(author=participant, mapping__isnull=False).values_list(
                "mapping__need_id", flat=True
            )
        )
    )


# PostgreSQL's deadlock_detected and serialization_failure: the transaction did nothing and
# can run again. The lock order above makes them rare; retrying makes them invisible.
_RETRYABLE = {"40P01", "40001"}


def retry_on_lock_conflict(service):
    """Run ``service`` (a transaction of its own) again, up to twice, when PostgreSQL aborted
    it to break a deadlock. Goes above ``@transaction.atomic``; inside an outer transaction
    it cannot retry, and lets the error through."""

    @wraps(service)
    def retried(*args, **kwargs):
        for attempt in range(3):
            try:
                return service(*args, **kwargs)
            except OperationalError as exc:
                code = getattr(exc.__cause__, "sqlstate", None)
                if code not in _RETRYABLE or connection.in_atomic_block or attempt == 2:
                    raise
                logger.info(
                    "%s ran into a lock conflict (%s); running it again", service.__name__, code
                )
                time.sleep(0.01 * (attempt + 1))

    return retried


def merged_away(need: Need, *, facilitator=None) -> Conflict:
    """The refusal for acting on a need merged into another a moment ago: to a facilitator
    (``facilitator``: who is acting), or to a participant."""
    from sessions.moderation_log import quoted

    merge = (
        NeedMerge.objects.filter(duplicate=need, undone_at__isnull=True)
        .select_related("keep")
        .first()
    )
    into = quoted(merge.keep.text) if merge else _("another need")
    values = {"need": quoted(need.text), "keep": into}
    if facilitator is None:
        return Conflict(
            _("A facilitator just merged this need into %(keep)s: find it there.") % values
        )
    if merge is not None and merge.actor_id == facilitator.pk:
        return Conflict(_("You just merged %(need)s into %(keep)s (in another tab).") % values)
    return Conflict(_("%(need)s was just merged into %(keep)s by another facilitator.") % values)


def withdrawn_meanwhile() -> Conflict:
    return Conflict(_("This was just withdrawn or erased by its author."))


def needs_touched_by(participant: Participant) -> set[int]:
    """Needs whose cards change when this participant's dots and mappings go or come back."""
    voted = Vote.with_hidden.filter(participant=participant, need__isnull=False).values_list(
        "need_id", flat=True
    )
    mapped = Mapping.objects.filter(author=participant).values_list("need_id", flat=True)
    return set(voted) | set(mapped)
