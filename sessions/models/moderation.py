"""What facilitators do to contributions and what is kept to undo it: merge suggestions,
corrections, merges (and what each moved), and the moderation log."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sessions.enums import ContributionStatus
from sessions.models.contributions import GapNote, Mapping, Need
from sessions.models.people import Participant
from sessions.models.session import CONTEXT_MAX_LENGTH, NEED_MAX_LENGTH, LiveSession


class MergeSuggestion(models.Model):
    """Two needs of a session whose texts look alike (sessions.similarity), for a facilitator
    to merge or to dismiss; ``need`` is the older of the two."""

    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="merge_suggestions")
    need = models.ForeignKey(Need, models.CASCADE, related_name="+")
    other = models.ForeignKey(Need, models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("merge suggestion")
        verbose_name_plural = _("merge suggestions")
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["need", "other"], name="one_suggestion_per_pair"),
            models.CheckConstraint(condition=Q(need__lt=F("other")), name="suggestion_older_first"),
        ]

    def __str__(self) -> str:
        return f"{self.need_id} ~ {self.other_id} ({self.score})"


class NeedCorrection(models.Model):
    """A facilitator's correction of a need, with the text it replaced, so that it can be
    undone. Part of the need (CASCADE): it goes when the need or its author goes."""

    need = models.ForeignKey(Need, models.CASCADE, related_name="corrections")
    text_before = models.CharField(max_length=NEED_MAX_LENGTH)
    context_before = models.CharField(max_length=CONTEXT_MAX_LENGTH, blank=True)
    edited_before = models.BooleanField(default=False)
    text_after = models.CharField(max_length=NEED_MAX_LENGTH)
    context_after = models.CharField(max_length=CONTEXT_MAX_LENGTH, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("need correction")
        verbose_name_plural = _("need corrections")

    def __str__(self) -> str:
        return f"{self.need_id}: {self.text_before} → {self.text_after}"


class NeedMerge(models.Model):
    """A facilitator's merge of ``duplicate`` into ``keep``, kept so that it can be undone.

    The duplicate stays as a row of status MERGED; MergedDots, MergedMapping and
    MergedGapNote record what moved. Everything hangs off the needs, mappings and
    participants concerned (CASCADE), so that erasing any of their authors erases it."""

    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="+")
    keep = models.ForeignKey(Need, models.CASCADE, related_name="merges_in")
    duplicate = models.ForeignKey(Need, models.CASCADE, related_name="merges_out")
    duplicate_status = models.CharField(max_length=10, choices=ContributionStatus)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("merge of needs")
        verbose_name_plural = _("merges of needs")
        ordering = ["created", "pk"]
        constraints = [
            # A need is merged away by one merge at a time (the one not undone).
            models.UniqueConstraint(
                fields=["duplicate"],
                condition=Q(undone_at__isnull=True),
                name="one_open_merge_per_duplicate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.duplicate_id} → {self.keep_id}"


class MergedDots(models.Model):
    """One participant's dots that a merge took off the duplicate (``from_mapping`` None) or
    off one of its mappings folded into the kept need's mapping of the same strategy
    (``to_mapping``): ``moved`` went onto the kept item, ``returned`` (what the cap cut)
    back to the participant's budget."""

    merge = models.ForeignKey(NeedMerge, models.CASCADE, related_name="dots")
    participant = models.ForeignKey(Participant, models.CASCADE, related_name="+")
    from_mapping = models.ForeignKey(
        Mapping, models.CASCADE, null=True, blank=True, related_name="+"
    )
    to_mapping = models.ForeignKey(Mapping, models.CASCADE, null=True, blank=True, related_name="+")
    moved = models.PositiveSmallIntegerField(default=0)
    returned = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("dots moved by a merge")
        verbose_name_plural = _("dots moved by merges")

    def __str__(self) -> str:
        return f"{self.moved} moved, {self.returned} returned ({self.merge_id})"


class MergedMapping(models.Model):
    """A mapping of the duplicate that a merge moved over to the kept need (``folded`` false)
    or folded into the kept need's mapping of the same strategy (then the mapping is MERGED,
    and ``status`` is what it was)."""

    merge = models.ForeignKey(NeedMerge, models.CASCADE, related_name="mappings")
    mapping = models.ForeignKey(Mapping, models.CASCADE, related_name="+")
    folded = models.BooleanField(default=False)
    # Folded: the kept need's mapping it went into, and the status it had.
    into = models.ForeignKey(Mapping, models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=ContributionStatus, blank=True)

    class Meta:
        verbose_name = _("mapping moved by a merge")
        verbose_name_plural = _("mappings moved by merges")

    def __str__(self) -> str:
        return f"{self.mapping_id} ({'folded' if self.folded else 'moved'}, {self.merge_id})"


class MergedGapNote(models.Model):
    """A gap note that a merge moved from a folded mapping of the duplicate."""

    merge = models.ForeignKey(NeedMerge, models.CASCADE, related_name="gap_notes")
    gap_note = models.ForeignKey(GapNote, models.CASCADE, related_name="+")
    from_mapping = models.ForeignKey(Mapping, models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("gap note moved by a merge")
        verbose_name_plural = _("gap notes moved by merges")

    def __str__(self) -> str:
        return f"{self.gap_note_id} from {self.from_mapping_id} ({self.merge_id})"


class ModerationAction(models.Model):
    """Who did what to which contribution or participant, and when, kept for accountability.

    An entry points at what it concerns (SET_NULL) and renders its words from those rows
    (sessions.moderation_log): it holds no participant's text or id of its own, so erasing a
    participant leaves entries that read "erased". ``target`` names a kind ("need",
    "participant") or, for actions on the session, what changed (a phase, "session")."""

    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="moderation_log")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=30)
    target = models.CharField(_("target"), max_length=60)
    details = models.JSONField(_("details"), default=dict, blank=True)
    need = models.ForeignKey(Need, models.SET_NULL, null=True, blank=True, related_name="+")
    # The second need: a merge's duplicate, a dismissed suggestion's other need.
    other_need = models.ForeignKey(Need, models.SET_NULL, null=True, blank=True, related_name="+")
    mapping = models.ForeignKey(Mapping, models.SET_NULL, null=True, blank=True, related_name="+")
    gap_note = models.ForeignKey(GapNote, models.SET_NULL, null=True, blank=True, related_name="+")
    participant = models.ForeignKey(
        Participant, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    strategy = models.ForeignKey(
        "taxonomy.Strategy", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What an undo needs (a merge, a correction, a dismissed suggestion): gone with the rows
    # they belong to, after which the entry can no longer be undone.
    merge = models.ForeignKey(NeedMerge, models.SET_NULL, null=True, blank=True, related_name="+")
    correction = models.ForeignKey(
        NeedCorrection, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    suggestion = models.ForeignKey(
        "live_sessions.MergeSuggestion", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation log")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"
