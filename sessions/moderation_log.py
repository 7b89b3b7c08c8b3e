"""The moderation log in words, for the dashboard: who did what, naming the needs and the
people concerned rather than internal ids ("Ada merged “Safer streams” into “Safe
streaming”", "Ada removed Bright Otter"). Reads a fixed number of queries, whatever the log
holds."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sessions.enums import Phase
from sessions.models import GapNote, LiveSession, Mapping, ModerationAction, Need, Participant
from taxonomy.models import Strategy


@dataclass(frozen=True)
class LogLine:
    created: datetime
    text: str


def quoted(text: str) -> str:
    """Someone's words in quotes, at most 60 characters."""
    return f"“{Truncator(text).chars(60)}”"


def _names(entries: list[ModerationAction]) -> dict[str, dict[int, str]]:
    """What each "kind-id" target of the entries is called now, one query per kind."""
    ids: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        kind, _sep, pk = entry.target.rpartition("-")
        if pk.isdecimal():
            ids[kind].add(int(pk))
    mappings = Mapping.objects.filter(pk__in=ids["mapping"]).select_related("need", "strategy")
    return {
        "need": {
            pk: quoted(text)
            for pk, text in Need.objects.filter(pk__in=ids["need"]).values_list("pk", "text")
        },
        "mapping": {
            m.pk: f"{quoted(m.need.text)} → {m.strategy.localized('name')}" for m in mappings
        },
        "gapnote": {
            pk: quoted(text)
            for pk, text in GapNote.objects.filter(pk__in=ids["gapnote"]).values_list("pk", "text")
        },
        "participant": {
            p.pk: p.name for p in Participant.objects.filter(pk__in=ids["participant"])
        },
        "strategy": {
            s.pk: s.localized("name") for s in Strategy.objects.filter(pk__in=ids["strategy"])
        },
    }


def _target(entry: ModerationAction, names: dict) -> str:
    kind, _sep, pk = entry.target.rpartition("-")
    known = names.get(kind, {}).get(int(pk)) if pk.isdecimal() else None
    if known:
        return known
    if kind == "participant":
        return entry.details.get("pseudonym") or _("a participant")
    return _("an item that no longer exists")


def _moderation_sentence(entry: ModerationAction) -> str:
    if entry.action == "hide":
        return _("%(actor)s hid %(item)s")
    if entry.action == "show" and entry.details.get("before") == "pending":
        return _("%(actor)s approved %(item)s")
    if entry.action == "show":
        return _("%(actor)s showed %(item)s again")
    return _("%(actor)s put %(item)s back in the queue")


def _timer_sentence(entry: ModerationAction) -> str:
    minutes = entry.details.get("minutes") or 0
    command = entry.action.removeprefix("timer-")
    if command == "start":
        return ngettext(
            "%(actor)s started a %(minutes)d-minute timer",
            "%(actor)s started a %(minutes)d-minute timer",
            minutes,
        )
    if command == "extend":
        return ngettext(
            "%(actor)s added %(minutes)d minute to the timer",
            "%(actor)s added %(minutes)d minutes to the timer",
            minutes,
        )
    return {
        "pause": _("%(actor)s paused the timer"),
        "resume": _("%(actor)s resumed the timer"),
        "clear": _("%(actor)s cleared the timer"),
    }.get(command, _("%(actor)s changed the timer"))


def _burst_sentence(entry: ModerationAction) -> tuple[str, int, int]:
    """A sweep of the door (sessions.services.door) or its undo, with how many it concerned."""
    if entry.action == "remove-burst":
        count = len(entry.details.get("participants", []))
        return (
            ngettext(
                "%(actor)s removed the %(count)d person who joined in the last %(minutes)d "
                "minutes and contributed nothing",
                "%(actor)s removed the %(count)d people who joined in the last %(minutes)d "
                "minutes and contributed nothing",
                count,
            ),
            count,
            entry.details.get("minutes") or 0,
        )
    count = entry.details.get("count") or 0
    return (
        ngettext(
            "%(actor)s brought back the %(count)d person removed with a burst",
            "%(actor)s brought back the %(count)d people removed with a burst",
            count,
        ),
        count,
        0,
    )


def describe(entry: ModerationAction, names: dict) -> str:
    """One log entry as a sentence (``names``: from ``_names``)."""
    actor = entry.actor.get_full_name() or entry.actor.get_username() if entry.actor else ""
    action = entry.action
    values = {"actor": actor or _("A facilitator")}
    if action in ("hide", "show", "pending"):
        sentence = _moderation_sentence(entry)
        values["item"] = _target(entry, names)
    elif action == "edit":
        sentence = _("%(actor)s corrected %(item)s")
        values["item"] = _target(entry, names)
    elif action == "merge":
        sentence = _("%(actor)s merged %(duplicate)s into %(item)s")
        values["item"] = _target(entry, names)
        values["duplicate"] = quoted(entry.details.get("merged_text", ""))
    elif action == "dismiss-merge":
        sentence = _("%(actor)s kept %(item)s and %(other)s apart")
        values["item"] = _target(entry, names)
        values["other"] = quoted(entry.details.get("other_text", ""))
    elif action in ("remove", "restore"):
        sentence = (
            _("%(actor)s removed %(name)s")
            if action == "remove"
            else _("%(actor)s restored %(name)s")
        )
        values["name"] = _target(entry, names)
    elif action == "phase":
        sentence = _("%(actor)s moved to the %(phase)s phase")
        values["phase"] = (
            Phase(entry.target).label if entry.target in Phase.values else entry.target
        )
    elif action.startswith("timer-"):
        sentence = _timer_sentence(entry)
        values["minutes"] = entry.details.get("minutes") or 0
    elif action == "spotlight":
        sentence = (
            _("%(actor)s cleared the spotlight")
            if entry.target == "none"
            else _("%(actor)s put %(item)s in the spotlight")
        )
        values["item"] = _target(entry, names)
    elif action in ("remove-burst", "restore-burst"):
        sentence, values["count"], values["minutes"] = _burst_sentence(entry)
    elif action == "announce":
        sentence = (
            _("%(actor)s announced %(item)s")
            if entry.details.get("text")
            else _("%(actor)s cleared the announcement")
        )
        values["item"] = quoted(entry.details.get("text", ""))
    else:
        sentence = {
            "lock": _("%(actor)s locked input"),
            "unlock": _("%(actor)s unlocked input"),
            "configure": _("%(actor)s changed the settings"),
            "purge": _("%(actor)s purged the contributions"),
            "door-close": _("%(actor)s closed the door: nobody new can join"),
            "door-open": _("%(actor)s opened the door again"),
        }.get(action, _("%(actor)s did “%(action)s”"))
        values["action"] = action
    return sentence % values


def log_lines(live_session: LiveSession, *, limit: int = 30) -> list[LogLine]:
    """The newest ``limit`` entries of the session's moderation log, in words."""
    entries = list(live_session.moderation_log.select_related("actor")[:limit])
    names = _names(entries)
    return [LogLine(entry.created, describe(entry, names)) for entry in entries]
