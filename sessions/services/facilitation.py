"""Running a session: creating and configuring it, phases, the timer, the input lock, the
announcement and the spotlight. Callers have checked that ``actor`` facilitates the session
(sessions.permissions); each action is kept in the moderation log."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.enums import PHASE_ORDER, ContributionStatus, Phase
from sessions.live import events
from sessions.models import ANNOUNCEMENT_MAX_LENGTH, LiveSession, Need, new_join_code
from sessions.services.common import clean_text, locked_session, log, merged_away
from sessions.services.errors import InvalidInput, NotYours, PhaseClosed, SessionError
from sessions.setups import SETUP_FIELDS, TEMPLATES
from taxonomy.models import Strategy, Taxonomy


@transaction.atomic
def create_live_session(
    *, title: str, taxonomy: Taxonomy, question: str = "", facilitator=None, **options
) -> LiveSession:
    """Create a session with a fresh, unique join code; ``facilitator`` runs and owns it.
    Refuses with InvalidInput for an empty title. Emits nothing: no screen shows the session
    yet."""
    title = clean_text(title, field=_("Title"), max_length=200)
    for _attempt in range(20):
        code = new_join_code()
        if not LiveSession.objects.filter(code=code).exists():
            break
    else:  # 25**6 codes: reaching this means something is badly wrong
        raise SessionError("could not find a free join code")
    co_facilitators = options.pop("facilitators", ())
    live_session = LiveSession.objects.create(
        code=code, title=title, question=question, taxonomy=taxonomy, owner=facilitator, **options
    )
    live_session.facilitators.add(*co_facilitators)
    if facilitator is not None:
        live_session.facilitators.add(facilitator)
    return live_session


def duplicate_session(*, source: LiveSession, title: str, facilitator) -> LiveSession:
    """A new session with ``source``'s set-up (sessions.setups.SETUP_FIELDS: question,
    phases, prompts, dots, moderation, taxonomy) and none of its people or content;
    ``facilitator`` runs it. Refuses with InvalidInput for an empty title. Emits nothing."""
    setup = {name: getattr(source, name) for name in SETUP_FIELDS}
    setup["prompts"] = dict(setup["prompts"])
    setup["prompts_fr"] = dict(setup["prompts_fr"])
    return create_live_session(title=title, facilitator=facilitator, **setup)


def create_from_template(
    *, template: str, title: str, taxonomy: Taxonomy, facilitator
) -> LiveSession:
    """A new session set up as one of the shipped templates (sessions.setups.TEMPLATES), its
    texts in English and French. Refuses with InvalidInput for an unknown template or an
    empty title. Emits nothing."""
    if template not in TEMPLATES:
        raise InvalidInput(_("Choose one of the templates."))
    return create_live_session(
        title=title, taxonomy=taxonomy, facilitator=facilitator, **TEMPLATES[template].options()
    )


@transaction.atomic
def configure_session(*, live_session: LiveSession, actor, **fields) -> LiveSession:
    """Change a session's settings (title, question, prompts, phases, dots, moderation...;
    who facilitates is add_facilitator's). Refuses with InvalidInput for a cap under one or
    no phase. Emits ``settings_changed``."""
    live_session = locked_session(live_session)
    if "dot_cap" in fields and fields["dot_cap"] < 1:
        raise InvalidInput(_("At least one dot must fit on an item."))
    if "enabled_phases" in fields:
        fields["enabled_phases"] = [p for p in PHASE_ORDER if p in fields["enabled_phases"]]
        if not fields["enabled_phases"]:
            raise InvalidInput(_("Use at least one phase."))
    for name, value in fields.items():
        setattr(live_session, name, value)
    live_session.save()
    log(live_session, actor, "configure", "session", fields=sorted(fields))
    events.settings_changed(live_session)
    return live_session


def _require_owner(live_session: LiveSession, actor) -> None:
    if not (actor.is_superuser or live_session.owner_id == actor.pk):
        raise NotYours(_("Only the session's owner changes who facilitates it."))


@transaction.atomic
def add_facilitator(*, live_session: LiveSession, actor, user) -> None:
    """Let ``user`` facilitate the session too. Refuses with NotYours unless ``actor`` owns
    the session (or is a superuser), InvalidInput for an inactive account. Emits nothing: no
    screen shows who facilitates."""
    live_session = locked_session(live_session)
    _require_owner(live_session, actor)
    if not user.is_active:
        raise InvalidInput(_("That account cannot sign in."))
    live_session.facilitators.add(user)
    log(live_session, actor, "add-facilitator", "session", username=user.get_username())


@transaction.atomic
def remove_facilitator(*, live_session: LiveSession, actor, user) -> None:
    """Stop ``user`` facilitating the session. Refuses with NotYours unless ``actor`` owns the
    session (or is a superuser), InvalidInput for the owner, who always stays. Emits nothing."""
    live_session = locked_session(live_session)
    _require_owner(live_session, actor)
    if user.pk == live_session.owner_id:
        raise InvalidInput(_("The session's owner always facilitates it."))
    live_session.facilitators.remove(user)
    log(live_session, actor, "remove-facilitator", "session", username=user.get_username())


def next_phase(live_session: LiveSession, step: int = 1) -> str | None:
    """The next (or previous, step=-1) phase among the phases this session uses."""
    phases = [p for p in PHASE_ORDER if p in live_session.enabled_phases]
    if live_session.phase not in phases:
        return phases[0] if phases else None
    index = phases.index(live_session.phase) + step
    return phases[index] if 0 <= index < len(phases) else None


@transaction.atomic
def set_phase(
    *, live_session: LiveSession, phase: str, minutes: int | None = None, actor=None
) -> LiveSession:
    """Move the session to ``phase``, optionally with a timer, and unlock input. Refuses with
    InvalidInput for an unknown phase. Emits ``phase_changed``."""
    if phase not in PHASE_ORDER:
        raise InvalidInput(_("Unknown phase."))
    live_session = locked_session(live_session)
    live_session.phase = phase
    live_session.input_locked = False
    live_session.timer_remaining = None
    live_session.phase_ends_at = timezone.now() + timedelta(minutes=minutes) if minutes else None
    live_session.save(update_fields=["phase", "input_locked", "timer_remaining", "phase_ends_at"])
    if actor is not None:
        log(live_session, actor, "phase", phase)
    events.phase_changed(live_session)
    return live_session


TIMER_LONGEST = 180 * 60  # seconds
EXTENSION_LONGEST = 60 * 60


@transaction.atomic
def set_timer(
    *,
    live_session: LiveSession,
    actor,
    command: str,
    minutes: int = 0,
    seconds: int = 0,
    close_at_zero: bool | None = None,
) -> LiveSession:
    """Start (for ``minutes`` and ``seconds``: 30 s, 1 min 30 s, up to 180 min), pause,
    resume, extend (by ``minutes`` and ``seconds``, up to 60 min) or clear the timer.
    ``close_at_zero``, given with a start, says whether input closes when it reaches zero (the
    session's ``close_input_at_zero``; left as it is when None); "close-at-zero" and
    "open-at-zero" change it alone (set_close_at_zero). Extending a timer that ran out, or
    clearing it, opens input again. Refuses with InvalidInput for a duration out of range or an
    unknown command. Emits ``timer_changed``."""
    if command in ("close-at-zero", "open-at-zero"):
        return set_close_at_zero(
            live_session=live_session, actor=actor, close=command == "close-at-zero"
        )
    live_session = locked_session(live_session)
    now = timezone.now()
    duration = timedelta(minutes=max(minutes, 0), seconds=max(seconds, 0))
    fields = ["phase_ends_at", "timer_remaining"]
    if command == "start":
        if minutes < 0 or seconds < 0 or not 1 <= duration.total_seconds() <= TIMER_LONGEST:
            raise InvalidInput(_("A timer runs from 1 second to 180 minutes."))
        live_session.phase_ends_at = now + duration
        live_session.timer_remaining = None
        if close_at_zero is not None:
            live_session.close_input_at_zero = close_at_zero
            fields.append("close_input_at_zero")
    elif command == "pause" and live_session.phase_ends_at:
        live_session.timer_remaining = max(live_session.phase_ends_at - now, timedelta(0))
        live_session.phase_ends_at = None
    elif command == "resume" and live_session.timer_remaining is not None:
        live_session.phase_ends_at = now + live_session.timer_remaining
        live_session.timer_remaining = None
    elif command == "extend":
        if minutes < 0 or seconds < 0 or not 1 <= duration.total_seconds() <= EXTENSION_LONGEST:
            raise InvalidInput(_("Extend by 1 second to 60 minutes."))
        if live_session.phase_ends_at:
            live_session.phase_ends_at = max(live_session.phase_ends_at, now) + duration
        elif live_session.timer_remaining is not None:
            live_session.timer_remaining += duration
        else:
            live_session.phase_ends_at = now + duration
    elif command == "clear":
        live_session.phase_ends_at = None
        live_session.timer_remaining = None
    else:
        raise InvalidInput(_("That timer control is not available now."))
    live_session.save(update_fields=fields)
    log(
        live_session,
        actor,
        f"timer-{command}",
        "session",
        minutes=minutes,
        seconds=seconds,
        close_input_at_zero=live_session.close_input_at_zero,
    )
    events.timer_changed(live_session)
    return live_session


@transaction.atomic
def set_close_at_zero(*, live_session: LiveSession, actor, close: bool) -> LiveSession:
    """Whether input closes when the timer reaches zero, changed beside the timer (before or
    while it runs); a timer that already ran out closes or opens input at once. Emits
    ``timer_changed`` (the screens' "time is up" note depends on it)."""
    live_session = locked_session(live_session)
    live_session.close_input_at_zero = close
    live_session.save(update_fields=["close_input_at_zero"])
    log(live_session, actor, "timer-close-at-zero" if close else "timer-open-at-zero", "session")
    events.timer_changed(live_session)
    return live_session


@transaction.atomic
def set_input_lock(*, live_session: LiveSession, actor, locked: bool) -> LiveSession:
    """Lock or unlock participants' input in the current phase; withdrawing stays possible.
    Emits ``input_lock_changed``."""
    live_session = locked_session(live_session)
    live_session.input_locked = locked
    live_session.save(update_fields=["input_locked"])
    log(live_session, actor, "lock" if locked else "unlock", "session")
    events.input_lock_changed(live_session)
    return live_session


@transaction.atomic
def announce(*, live_session: LiveSession, actor, text: str) -> LiveSession:
    """Show a short announcement on every screen (empty text clears it). Refuses with
    InvalidInput for a text too long. Emits ``announcement_changed``."""
    live_session = locked_session(live_session)
    live_session.announcement = clean_text(
        text, field=_("Announcement"), max_length=ANNOUNCEMENT_MAX_LENGTH, required=False
    )
    live_session.save(update_fields=["announcement"])
    log(live_session, actor, "announce", "session", text=live_session.announcement)
    events.announcement_changed(live_session)
    return live_session


@transaction.atomic
def spotlight(
    *, live_session: LiveSession, actor, need: Need | None = None, strategy: Strategy | None = None
) -> LiveSession:
    """Put one need or one strategy in the spotlight on the board (neither clears it). Refuses
    with InvalidInput for a need or strategy of another session, Conflict for a need merged
    into another (the merge put that one in the spotlight). Emits ``spotlight_changed``."""
    live_session = locked_session(live_session)
    if need is not None and need.live_session_id != live_session.pk:
        raise InvalidInput(_("That need is not part of this session."))
    if need is not None and need.status == ContributionStatus.MERGED:
        raise merged_away(need, facilitator=actor)
    if strategy is not None and strategy.taxonomy_id != live_session.taxonomy_id:
        raise InvalidInput(_("That strategy is not part of this session's taxonomy."))
    live_session.spotlight_need = need
    live_session.spotlight_strategy = strategy
    live_session.save(update_fields=["spotlight_need", "spotlight_strategy"])
    target = "need" if need else "strategy" if strategy else "none"
    log(live_session, actor, "spotlight", target, need=need, strategy=strategy)
    events.spotlight_changed(live_session)
    return live_session


@transaction.atomic
def reveal_results(*, live_session: LiveSession, actor, revealed: bool) -> LiveSession:
    """Show the results on the board's wrap-up screen (``revealed``), or hide them again.
    Refuses with PhaseClosed outside wrap-up. Emits ``results_revealed``."""
    live_session = locked_session(live_session)
    if live_session.phase != Phase.WRAPUP:
        raise PhaseClosed(_("The results are revealed at wrap-up."))
    live_session.results_revealed = revealed
    live_session.save(update_fields=["results_revealed"])
    log(live_session, actor, "reveal" if revealed else "hide-results", "session")
    events.results_revealed(live_session)
    return live_session
