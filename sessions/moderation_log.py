"""The moderation log in words, for the dashboard: who did what, naming the needs and the
people concerned rather than internal ids ("Ada merged “Safer streams” into “Safe
streaming”: 3 dots moved, 1 returned to Bright Otter's budget", "Ada removed Bright Otter").

An entry keeps references only (sessions.models.ModerationAction): every word is read from
the rows it points at, as they are now. Once a participant erased themselves, what pointed
at them or at what they wrote is gone, and the entry reads "an erased participant", "an
erased or withdrawn need". Reads a fixed number of queries, whatever the log holds."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sessions.enums import Phase
from sessions.models import LiveSession, MergedDots, ModerationAction


@dataclass(frozen=True)
class LogLine:
    created: datetime
    text: str
    undo: int | None = None  # the entry's pk, while the dashboard offers to undo it
    undone: bool = False


def quoted(text: str) -> str:
    """Someone's words in quotes, at most 60 characters."""
    return f"“{Truncator(text).chars(60)}”"


def dots_moved(moved: int, returned: list[tuple[str, int]], returned_total: int = 0) -> str:
    """What a merge did to the dots, in words: "3 dots moved, 1 returned to Bright Otter's
    budget" (``returned``: (name, dots) per participant; ``returned_total``: dots returned to
    people no longer named, who erased themselves since). Empty when no dot moved."""
    parts = []
    if moved:
        parts.append(
            ngettext("%(count)d dot moved", "%(count)d dots moved", moved) % {"count": moved}
        )
    for name, count in returned:
        parts.append(
            ngettext(
                "%(count)d returned to %(name)s's budget",
                "%(count)d returned to %(name)s's budget",
                count,
            )
            % {"count": count, "name": name}
        )
    unnamed = returned_total - sum(count for _name, count in returned)
    if unnamed > 0:
        parts.append(
            ngettext(
                "%(count)d returned to its owner's budget",
                "%(count)d returned to their owners' budgets",
                unnamed,
            )
            % {"count": unnamed}
        )
    return ", ".join(parts)


def dots_moved_back(
    moved: int, given: list[tuple[str, int]], kept: list[tuple[str, int]], given_total: int = 0
) -> str:
    """What undoing a merge did to the dots: "3 dots moved back, 1 put back from Bright
    Otter's budget" (``given``); ``kept``: dots the cap had returned that stay where their
    owner placed them since (their budget has no room for them). Empty when nothing moved."""
    parts = []
    if moved:
        parts.append(
            ngettext("%(count)d dot moved back", "%(count)d dots moved back", moved)
            % {"count": moved}
        )
    for name, count in given:
        parts.append(
            ngettext(
                "%(count)d put back from %(name)s's budget",
                "%(count)d put back from %(name)s's budget",
                count,
            )
            % {"count": count, "name": name}
        )
    if not given and given_total:
        parts.append(
            ngettext(
                "%(count)d put back from its owner's budget",
                "%(count)d put back from their owners' budgets",
                given_total,
            )
            % {"count": given_total}
        )
    for name, count in kept:
        parts.append(
            ngettext(
                "%(count)d stays where %(name)s placed it since",
                "%(count)d stay where %(name)s placed them since",
                count,
            )
            % {"count": count, "name": name}
        )
    return ", ".join(parts)


def need_words(need) -> str:
    return quoted(need.text) if need is not None else _("an erased or withdrawn need")


def _item(entry: ModerationAction) -> str:
    """What the entry acted on, as it is now (or what became of it)."""
    kind = entry.target
    if kind == "participant":
        return entry.participant.name if entry.participant else _("an erased participant")
    if kind == "mapping":
        if entry.mapping is None:
            return _("an erased or withdrawn mapping")
        mapping = entry.mapping
        return f"{quoted(mapping.need.text)} → {mapping.strategy.localized('name')}"
    if kind == "gapnote":
        if entry.gap_note is None:
            return _("an erased or withdrawn gap note")
        return quoted(entry.gap_note.text)
    if kind == "strategy" and entry.strategy is not None:
        return entry.strategy.localized("name")
    return need_words(entry.need)


def _moderation_sentence(entry: ModerationAction) -> str:
    if entry.action == "hide":
        return _("%(actor)s hid %(item)s")
    if entry.action == "show" and entry.details.get("before") == "pending":
        return _("%(actor)s approved %(item)s")
    if entry.action == "show":
        return _("%(actor)s showed %(item)s again")
    return _("%(actor)s put %(item)s back in the queue")


def duration_words(seconds: int) -> str:
    """A timer's length as people say it: "30 seconds", "2 minutes", "1 min 30 s"."""
    minutes, rest = divmod(int(seconds), 60)
    if not minutes:
        return ngettext("%(seconds)d second", "%(seconds)d seconds", rest) % {"seconds": rest}
    if not rest:
        return ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes}
    return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}


def _timer_sentence(entry: ModerationAction) -> str:
    command = entry.action.removeprefix("timer-")
    if command == "start":
        return _("%(actor)s started a timer of %(duration)s")
    if command == "extend":
        return _("%(actor)s added %(duration)s to the timer")
    return {
        "pause": _("%(actor)s paused the timer"),
        "resume": _("%(actor)s resumed the timer"),
        "clear": _("%(actor)s cleared the timer"),
        "close-at-zero": _("%(actor)s set input to close when the timer reaches zero"),
        "open-at-zero": _("%(actor)s kept input open when the timer reaches zero"),
    }.get(command, _("%(actor)s changed the timer"))


def with_dots(sentence: str, dots: str) -> str:
    """A sentence, then what happened to the dots if anything did."""
    # Translators: what was done, then what happened to the dots ("3 dots moved, ...").
    return _("%(done)s: %(dots)s") % {"done": sentence, "dots": dots} if dots else sentence


def _burst_sentence(entry: ModerationAction) -> tuple[str, int, int]:
    """A sweep of the door (sessions.services.door) or its undo, with how many it concerned."""
    count = entry.details.get("count") or 0
    if entry.action == "remove-burst":
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
    return (
        ngettext(
            "%(actor)s brought back the %(count)d person removed with a burst",
            "%(actor)s brought back the %(count)d people removed with a burst",
            count,
        ),
        count,
        0,
    )


def describe(entry: ModerationAction, returned: dict | None = None) -> str:
    """One log entry as a sentence (``returned``: per merge, the (name, dots) the cap returned
    to budgets, from ``_returned``)."""
    actor = entry.actor.get_full_name() or entry.actor.get_username() if entry.actor else ""
    action = entry.action
    values = {"actor": actor or _("A facilitator"), "item": ""}
    details = entry.details
    if action in ("hide", "show", "pending"):
        sentence = _moderation_sentence(entry)
        values["item"] = _item(entry)
    elif action == "edit":
        sentence = _("%(actor)s corrected %(item)s")
        values["item"] = _item(entry)
    elif action == "undo-edit":
        sentence = _("%(actor)s undid a correction of %(item)s")
        values["item"] = _item(entry)
    elif action in ("merge", "undo-merge"):
        sentence = (
            _("%(actor)s merged %(duplicate)s into %(item)s")
            if action == "merge"
            else _("%(actor)s undid the merge of %(duplicate)s into %(item)s")
        )
        values["item"] = need_words(entry.need)
        values["duplicate"] = need_words(entry.other_need)
        moved, total = details.get("moved", 0), details.get("returned", 0)
        if action == "merge":
            named = (returned or {}).get(entry.merge_id, [])
            return with_dots(sentence % values, dots_moved(moved, named, total))
        return with_dots(sentence % values, dots_moved_back(moved, [], [], total))
    elif action in ("dismiss-merge", "undo-dismiss-merge"):
        sentence = (
            _("%(actor)s kept %(item)s and %(other)s apart")
            if action == "dismiss-merge"
            else _("%(actor)s suggested merging %(item)s and %(other)s again")
        )
        values["item"] = need_words(entry.need)
        values["other"] = need_words(entry.other_need)
    elif action in ("remove", "restore"):
        sentence = (
            _("%(actor)s removed %(name)s")
            if action == "remove"
            else _("%(actor)s restored %(name)s")
        )
        values["name"] = _item(entry)
    elif action == "phase":
        sentence = _("%(actor)s moved to the %(phase)s phase")
        values["phase"] = (
            Phase(entry.target).label if entry.target in Phase.values else entry.target
        )
    elif action.startswith("timer-"):
        sentence = _timer_sentence(entry)
        values["duration"] = duration_words(
            (details.get("minutes") or 0) * 60 + (details.get("seconds") or 0)
        )
    elif action == "spotlight":
        sentence = (
            _("%(actor)s cleared the spotlight")
            if entry.target == "none"
            else _("%(actor)s put %(item)s in the spotlight")
        )
        values["item"] = _item(entry)
    elif action in ("remove-burst", "restore-burst"):
        sentence, values["count"], values["minutes"] = _burst_sentence(entry)
    elif action == "announce":
        sentence = (
            _("%(actor)s announced %(item)s")
            if details.get("text")
            else _("%(actor)s cleared the announcement")
        )
        values["item"] = quoted(details.get("text", ""))
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


def _returned(entries: list[ModerationAction]) -> dict[int, list[tuple[str, int]]]:
    """Per merge of ``entries``, the (name, dots) its cap returned to budgets (one query)."""
    merges = [entry.merge_id for entry in entries if entry.action == "merge" and entry.merge_id]
    totals: dict[int, dict[int, list]] = defaultdict(dict)
    records = (
        MergedDots.objects.filter(merge_id__in=merges, returned__gt=0)
        .select_related("participant")
        .order_by("participant__joined_at", "pk")
    )
    for record in records:
        person = totals[record.merge_id].setdefault(
            record.participant_id, [record.participant.name, 0]
        )
        person[1] += record.returned
    return {merge: [tuple(pair) for pair in people.values()] for merge, people in totals.items()}


# What the log offers to undo (sessions.services.undoing does it).
UNDOABLE = ("hide", "show", "pending", "edit", "merge", "dismiss-merge", "remove")


def can_undo(entry: ModerationAction) -> bool:
    """Whether the log still offers to undo ``entry`` (the undo itself checks again, under
    its locks)."""
    if entry.undone_at is not None or entry.action not in UNDOABLE:
        return False
    needed = {
        "edit": entry.correction_id,
        "merge": entry.merge_id,
        "dismiss-merge": entry.suggestion_id,
        "remove": entry.participant_id,
    }
    if entry.action in needed:
        return needed[entry.action] is not None
    return bool(entry.need_id or entry.mapping_id or entry.gap_note_id)


def log_lines(live_session: LiveSession, *, limit: int = 30) -> list[LogLine]:
    """The newest ``limit`` entries of the session's moderation log, in words, each with its
    undo while the dashboard offers one (two queries)."""
    # A sweep of the door is one line: the removals it made, one entry each for their undo
    # and their references, would push the rest of the log out of view.
    entries = list(
        live_session.moderation_log.exclude(details__has_key="burst").select_related(
            "actor",
            "need",
            "other_need",
            "mapping__need",
            "mapping__strategy",
            "gap_note",
            "participant",
            "strategy",
        )[:limit]
    )
    returned = _returned(entries)
    return [
        LogLine(
            entry.created,
            describe(entry, returned),
            undo=entry.pk if can_undo(entry) else None,
            undone=entry.undone_at is not None,
        )
        for entry in entries
    ]
