"""What the dashboard says after a facilitator's action went through: one sentence for its
toast, naming what was acted on ("Merged “Safer streams” into “Safe streaming”.")."""

from django.utils.translation import gettext as _

from sessions.enums import ContributionStatus
from sessions.models import GapNote, LiveSession, Mapping, ModerationAction, Need
from sessions.moderation_log import (
    dots_moved,
    dots_moved_back,
    duration_words,
    need_words,
    quoted,
    with_dots,
)


def _timer_done(live_session: LiveSession, command: str, data: dict) -> str:
    duration = duration_words((data.get("minutes") or 0) * 60 + (data.get("seconds") or 0))
    at_zero = (
        _("Input closes at zero.")
        if live_session.close_input_at_zero
        else _("Input stays open at zero.")
    )
    if command == "timer-start":
        return _("Timer started: %(duration)s.") % {"duration": duration} + " " + at_zero
    if command == "timer-extend":
        return _("%(duration)s more on the timer.") % {
            "duration": duration_words(
                (data.get("minutes") or 0) * 60 + (data.get("seconds") or 0) or 60
            )
        }
    if command in ("timer-close-at-zero", "timer-open-at-zero"):
        return at_zero
    return {
        "timer-pause": _("Timer paused."),
        "timer-resume": _("Timer resumed."),
        "timer-clear": _("Timer cleared."),
    }[command]


def control_done(live_session: LiveSession, command: str, data: dict) -> str:
    """The toast after a phase, timer, lock, announcement or spotlight control (``data``: the
    control form's cleaned data; ``live_session`` as the control left it)."""
    if command.startswith("phase-"):
        return _("Moved to the %(phase)s phase.") % {"phase": live_session.get_phase_display()}
    if command.startswith("timer-"):
        return _timer_done(live_session, command, data)
    if command == "lock":
        return _("Input locked: participants can read but not write.")
    if command == "unlock":
        return _("Input unlocked.")
    if command == "announce":
        if live_session.announcement:
            return _("Announcement shown on every screen.")
        return _("Announcement cleared.")
    if live_session.spotlight_need_id:
        return _("%(text)s is in the spotlight.") % {
            "text": quoted(live_session.spotlight_need.text)
        }
    if live_session.spotlight_strategy_id:
        return _("%(name)s is in the spotlight.") % {
            "name": live_session.spotlight_strategy.localized("name")
        }
    return _("Spotlight cleared.")


def contribution_words(contribution: Need | Mapping | GapNote) -> str:
    """A need, a mapping or a gap note as the dashboard names it."""
    if isinstance(contribution, Mapping):
        return _("%(text)s → %(strategy)s") % {
            "text": quoted(contribution.need.text),
            "strategy": contribution.strategy.localized("name"),
        }
    return quoted(contribution.text)


def moderated(contribution: Need | Mapping | GapNote, *, before: str, after: str) -> str:
    words = contribution_words(contribution)
    if after == ContributionStatus.HIDDEN:
        return _("Hidden: %(item)s.") % {"item": words}
    if before == ContributionStatus.PENDING:
        return _("Approved: %(item)s.") % {"item": words}
    return _("Shown again: %(item)s.") % {"item": words}


def merged(result) -> str:
    """The toast after a merge (``result``: services.merging.MergeResult), with what happened
    to the dots: "Merged “Safer streams” into “Safe streaming”: 3 dots moved, 1 returned to
    Bright Otter's budget." """
    sentence = _("Merged %(duplicate)s into %(keep)s") % {
        "duplicate": quoted(result.duplicate.text),
        "keep": quoted(result.keep.text),
    }
    return with_dots(sentence, dots_moved(result.dots.moved, result.dots.returned)) + "."


def undone(done) -> str:
    """The toast after an undo (``done``: services.undoing.Undone)."""
    entry: ModerationAction = done.entry
    action = entry.action
    if action == "merge":
        sentence = _("Merge undone: %(duplicate)s is a need of its own again") % {
            "duplicate": need_words(entry.other_need)
        }
        dots = done.dots
        words = dots_moved_back(dots.moved, dots.returned, dots.kept) if dots else ""
        return with_dots(sentence, words) + "."
    if action == "edit":
        return _("Correction undone: %(need)s reads as before.") % {"need": need_words(entry.need)}
    if action == "dismiss-merge":
        return _("%(need)s and %(other)s are suggested as the same need again.") % {
            "need": need_words(entry.need),
            "other": need_words(entry.other_need),
        }
    if action == "remove":
        return _("%(name)s is back: what the removal hid is shown again, with their dots.") % {
            "name": entry.participant.name if entry.participant else ""
        }
    contribution = entry.need or entry.mapping or entry.gap_note
    return moderated(contribution, before=entry.details["after"], after=entry.details["before"])


def kept_apart(suggestion) -> str:
    """The toast after a facilitator said two suggested needs are not the same."""
    return _("Kept apart: %(need)s and %(other)s are not suggested again.") % {
        "need": quoted(suggestion.need.text),
        "other": quoted(suggestion.other.text),
    }
