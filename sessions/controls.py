"""The facilitator's controls (the dashboard's phase, timer, lock, announcement, spotlight and
reveal buttons), each declared once: its name (the ``command`` the dashboard posts), the
fields of the control form it reads, what it runs (a service, which refuses with a
SessionError) and the toast that says what it did.

The control form offers exactly these names (sessions.forms.ControlForm), the view runs the one
posted (sessions.views.facilitator.control) and answers with its toast. A new control is one
entry here and its button in the dashboard's template."""

from collections.abc import Callable
from dataclasses import dataclass

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions import services
from sessions.models import LiveSession, Need
from sessions.moderation_log import duration_words, quoted
from taxonomy.models import Strategy


@dataclass(frozen=True)
class Command:
    """``run(live_session, actor, data)`` does it (``data``: the control form's cleaned data,
    only ``fields`` filled); ``done(live_session, data)`` is its toast, given the session as
    the control left it."""

    name: str
    run: Callable[[LiveSession, object, dict], object]
    done: Callable[[LiveSession, dict], str]
    fields: tuple[str, ...] = ()


# --- phase ----------------------------------------------------------------------------------


def _set_phase(step: int | None):
    """Run a phase command: ``step`` 1 or -1 from the current phase, None for the form's."""

    def run(live_session: LiveSession, actor, data: dict) -> None:
        phase = data["phase"] if step is None else services.next_phase(live_session, step)
        if not phase:
            raise services.InvalidInput(_("There is no phase in that direction."))
        services.set_phase(
            live_session=live_session, phase=phase, minutes=data["minutes"], actor=actor
        )

    return run


def _phase_done(live_session: LiveSession, data: dict) -> str:
    return _("Moved to the %(phase)s phase.") % {"phase": live_session.get_phase_display()}


# --- timer ----------------------------------------------------------------------------------


def _timer(command: str):
    """Run a timer command (``command``: set_timer's: start, pause, resume, extend, clear,
    close-at-zero, open-at-zero). A length is minutes and seconds (30 s, 1 min 30 s); "+"
    alone extends by a minute; ``at_zero``, beside the timer, says whether input closes."""

    def run(live_session: LiveSession, actor, data: dict) -> None:
        minutes, seconds = data["minutes"] or 0, data["seconds"] or 0
        if command == "extend" and not (minutes or seconds):
            minutes = 1
        services.set_timer(
            live_session=live_session,
            actor=actor,
            command=command,
            minutes=minutes,
            seconds=seconds,
            close_at_zero={"close": True, "open": False}.get(data["at_zero"]),
        )

    return run


def _length(data: dict, default_seconds: int = 0) -> str:
    return duration_words(
        (data.get("minutes") or 0) * 60 + (data.get("seconds") or 0) or default_seconds
    )


def _at_zero(live_session: LiveSession, data: dict | None = None) -> str:
    if live_session.close_input_at_zero:
        return _("Input closes at zero.")
    return _("Input stays open at zero.")


def _timer_started(live_session: LiveSession, data: dict) -> str:
    started = _("Timer started: %(duration)s.") % {"duration": _length(data)}
    return f"{started} {_at_zero(live_session)}"


def _timer_extended(live_session: LiveSession, data: dict) -> str:
    return _("%(duration)s more on the timer.") % {"duration": _length(data, 60)}


def _said(text) -> Callable[[LiveSession, dict], str]:
    """A toast that is always the same sentence (``text``: lazy, translated when shown)."""
    return lambda live_session, data: str(text)


# --- lock, announcement, spotlight, results -------------------------------------------------


def _lock(locked: bool):
    def run(live_session: LiveSession, actor, data: dict) -> None:
        services.set_input_lock(live_session=live_session, actor=actor, locked=locked)

    return run


def _announce(live_session: LiveSession, actor, data: dict) -> None:
    services.announce(live_session=live_session, actor=actor, text=data["text"])


def _announced(live_session: LiveSession, data: dict) -> str:
    if live_session.announcement:
        return _("Announcement shown on every screen.")
    return _("Announcement cleared.")


def _spotlight_need(live_session: LiveSession, actor, data: dict) -> None:
    need = get_object_or_404(Need, pk=data["target"], live_session=live_session)
    services.spotlight(live_session=live_session, actor=actor, need=need)


def _spotlight_strategy(live_session: LiveSession, actor, data: dict) -> None:
    strategy = get_object_or_404(Strategy, pk=data["target"], taxonomy_id=live_session.taxonomy_id)
    services.spotlight(live_session=live_session, actor=actor, strategy=strategy)


def _spotlight_clear(live_session: LiveSession, actor, data: dict) -> None:
    services.spotlight(live_session=live_session, actor=actor)


def _spotlit(live_session: LiveSession, data: dict) -> str:
    if live_session.spotlight_need_id:
        return _("%(text)s is in the spotlight.") % {
            "text": quoted(live_session.spotlight_need.text)
        }
    if live_session.spotlight_strategy_id:
        return _("%(name)s is in the spotlight.") % {
            "name": live_session.spotlight_strategy.localized("name")
        }
    return _("Spotlight cleared.")


def _reveal(revealed: bool):
    def run(live_session: LiveSession, actor, data: dict) -> None:
        services.reveal_results(live_session=live_session, actor=actor, revealed=revealed)

    return run


COMMANDS: dict[str, Command] = {
    command.name: command
    for command in [
        Command("phase-next", _set_phase(1), _phase_done, ("minutes",)),
        Command("phase-previous", _set_phase(-1), _phase_done, ("minutes",)),
        Command("phase-set", _set_phase(None), _phase_done, ("phase", "minutes")),
        Command("timer-start", _timer("start"), _timer_started, ("minutes", "seconds", "at_zero")),
        Command("timer-pause", _timer("pause"), _said(gettext_lazy("Timer paused."))),
        Command("timer-resume", _timer("resume"), _said(gettext_lazy("Timer resumed."))),
        Command("timer-extend", _timer("extend"), _timer_extended, ("minutes", "seconds")),
        Command("timer-clear", _timer("clear"), _said(gettext_lazy("Timer cleared."))),
        Command("timer-close-at-zero", _timer("close-at-zero"), _at_zero),
        Command("timer-open-at-zero", _timer("open-at-zero"), _at_zero),
        Command(
            "lock",
            _lock(True),
            _said(gettext_lazy("Input locked: participants can read but not write.")),
        ),
        Command("unlock", _lock(False), _said(gettext_lazy("Input unlocked."))),
        Command("announce", _announce, _announced, ("text",)),
        Command("spotlight-need", _spotlight_need, _spotlit, ("target",)),
        Command("spotlight-strategy", _spotlight_strategy, _spotlit, ("target",)),
        Command("spotlight-clear", _spotlight_clear, _spotlit),
        # The results' own toasts: the control used to answer them as the spotlight does.
        Command("results-reveal", _reveal(True), _spotlit),
        Command("results-hide", _reveal(False), _spotlit),
    ]
}
