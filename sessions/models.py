"""A live session and what participants contribute to it.

Everything a participant writes hangs off their Participant row with CASCADE, so erasing a
participant erases their needs, mappings, votes and gap notes in one delete."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions.enums import ContributionStatus, GapKind, Phase, Presence

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: codes are read off a projector and typed on phones.
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6

NEED_MAX_LENGTH = 280
CONTEXT_MAX_LENGTH = 120
REASON_MAX_LENGTH = 280
GAP_MAX_LENGTH = 500
DISPLAY_NAME_MAX_LENGTH = 40


ANNOUNCEMENT_MAX_LENGTH = 200


def all_phases() -> list[str]:
    return [phase.value for phase in Phase]


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class LiveSession(models.Model):
    code = models.CharField(_("join code"), max_length=JOIN_CODE_LENGTH, unique=True)
    title = models.CharField(_("title"), max_length=200)
    question = models.CharField(
        _("question"),
        max_length=300,
        blank=True,
        help_text=_("The question the session asks, shown on the board and in the report."),
    )
    taxonomy = models.ForeignKey("taxonomy.Taxonomy", models.PROTECT, related_name="live_sessions")
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="facilitated_sessions"
    )
    # Who created the session: the one facilitator (with superusers) who changes who else
    # facilitates, and who always stays one.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_sessions",
        verbose_name=_("owner"),
    )
    phase = models.CharField(_("phase"), max_length=10, choices=Phase, default=Phase.LOBBY)
    input_locked = models.BooleanField(_("input locked"), default=False)
    # Timer: running when phase_ends_at is set; paused when timer_remaining is set instead.
    phase_ends_at = models.DateTimeField(_("phase ends at"), null=True, blank=True)
    timer_remaining = models.DurationField(_("time remaining (paused)"), null=True, blank=True)
    close_input_at_zero = models.BooleanField(
        _("close input when the timer ends"),
        default=True,
        help_text=_("When the timer reaches zero, posts and votes for the phase stop."),
    )
    # At wrap-up the board shows the results only once a facilitator reveals them.
    results_revealed = models.BooleanField(_("results shown on the board"), default=False)
    dot_budget = models.PositiveSmallIntegerField(_("dots per participant"), default=5)
    dot_cap = models.PositiveSmallIntegerField(_("most dots on one item"), default=3)
    allow_display_names = models.BooleanField(_("allow display names"), default=True)
    premoderation = models.BooleanField(_("hold contributions for moderation"), default=False)
    prompts = models.JSONField(_("phase prompts"), default=dict, blank=True)
    enabled_phases = models.JSONField(_("phases used"), default=all_phases)
    announcement = models.CharField(
        _("announcement"), max_length=ANNOUNCEMENT_MAX_LENGTH, blank=True
    )
    spotlight_need = models.ForeignKey(
        "live_sessions.Need", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    spotlight_strategy = models.ForeignKey(
        "taxonomy.Strategy", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when an organiser purges the contributions: what remains is these counts.
    purged_at = models.DateTimeField(_("contributions purged at"), null=True, blank=True)
    aggregate_counts = models.JSONField(
        _("aggregate counts kept after purge"), default=dict, blank=True
    )
    # Bumped by every write that changes what a screen shows; pushed with every update so a
    # reconnecting screen can tell whether it missed anything.
    sequence = models.PositiveBigIntegerField(default=0, editable=False)
    # The newest need change already compared for merge suggestions (services.suggestions).
    needs_compared_up_to = models.DateTimeField(null=True, blank=True, editable=False)
    # How many have joined (erased participants included): the next pseudonym's number.
    joined_count = models.PositiveIntegerField(default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=Q(dot_cap__gte=1), name="dot_cap_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("sessions:participant", args=[self.code])

    @property
    def join_path(self) -> str:
        return reverse("sessions:join", args=[self.code])

    def prompt_for(self, phase: str | None = None) -> str:
        from sessions.phases import default_prompt

        phase = phase or self.phase
        return self.prompts.get(phase) or str(default_prompt(phase))

    @property
    def time_is_up(self) -> bool:
        """The phase's timer ran out (a paused timer never does)."""
        return self.phase_ends_at is not None and timezone.now() >= self.phase_ends_at

    @property
    def input_closed_by_timer(self) -> bool:
        return self.close_input_at_zero and self.time_is_up

    def seconds_left(self) -> int | None:
        if self.phase_ends_at:
            return max(0, int((self.phase_ends_at - timezone.now()).total_seconds()))
        if self.timer_remaining is not None:
            return int(self.timer_remaining.total_seconds())
        return None


class Participant(models.Model):
    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="participants")
    # SHA-256 of the device cookie's secret: a leaked database cannot be used to log in.
    token_hash = models.CharField(max_length=64, unique=True)
    # Shown in broadcasts so a page can tell which cards are its own; not a secret.
    public_id = models.CharField(max_length=12, unique=True)
    # SHA-256 of the browser's device id and this session's code (sessions.identity): a
    # removed participant's browser cannot join again, and no id links two sessions.
    device_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    pseudonym = models.CharField(_("pseudonym"), max_length=60)
    display_name = models.CharField(
        _("display name"), max_length=DISPLAY_NAME_MAX_LENGTH, blank=True
    )
    presence = models.CharField(_("where"), max_length=10, choices=Presence)
    agreed_at = models.DateTimeField(_("agreed to the community agreement"))
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["live_session", "pseudonym"], name="unique_pseudonym_per_session"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.pseudonym

    @property
    def is_remote(self) -> bool:
        return self.presence == Presence.REMOTE


class Contribution(models.Model):
    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="+")
    author = models.ForeignKey(Participant, models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=ContributionStatus, default=ContributionStatus.VISIBLE
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Need(Contribution):
    text = models.CharField(_("need"), max_length=NEED_MAX_LENGTH)
    context = models.CharField(
        _("community or platform (optional)"), max_length=CONTEXT_MAX_LENGTH, blank=True
    )
    edited = models.BooleanField(default=False)
    # The form's submission id: a double tap or a retried request posts the need once.
    client_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["created", "pk"]
        indexes = [models.Index(fields=["live_session", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_key"],
                condition=~Q(client_key=""),
                name="one_need_per_submission",
            )
        ]

    def __str__(self) -> str:
        return self.text


class Mapping(Contribution):
    need = models.ForeignKey(Need, models.CASCADE, related_name="mappings")
    strategy = models.ForeignKey("taxonomy.Strategy", models.PROTECT, related_name="mappings")
    reason = models.CharField(_("why (optional)"), max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("mapping")
        verbose_name_plural = _("mappings")
        ordering = ["created", "pk"]
        constraints = [
            # One mapping per need and strategy; a second person agreeing votes on it.
            models.UniqueConstraint(fields=["need", "strategy"], name="one_mapping_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.need} → {self.strategy}"


class Vote(models.Model):
    """A participant's dots on one need or one mapping (1..the session's cap)."""

    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, models.CASCADE, related_name="votes")
    need = models.ForeignKey(Need, models.CASCADE, null=True, blank=True, related_name="votes")
    mapping = models.ForeignKey(
        Mapping, models.CASCADE, null=True, blank=True, related_name="votes"
    )
    dots = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.CheckConstraint(
                condition=(Q(need__isnull=False) & Q(mapping__isnull=True))
                | (Q(need__isnull=True) & Q(mapping__isnull=False)),
                name="vote_has_exactly_one_target",
            ),
            models.CheckConstraint(condition=Q(dots__gte=1), name="vote_has_dots"),
            models.UniqueConstraint(fields=["participant", "need"], name="one_vote_row_per_need"),
            models.UniqueConstraint(
                fields=["participant", "mapping"], name="one_vote_row_per_mapping"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dots} × {self.need or self.mapping}"


class GapNote(Contribution):
    """A gap on a strategy, or on one need's mapping to it (then strategy is the mapping's)."""

    strategy = models.ForeignKey("taxonomy.Strategy", models.PROTECT, related_name="gap_notes")
    mapping = models.ForeignKey(
        Mapping, models.CASCADE, null=True, blank=True, related_name="gap_notes"
    )
    kind = models.CharField(_("what is missing"), max_length=20, choices=GapKind)
    text = models.CharField(_("gap"), max_length=GAP_MAX_LENGTH)

    class Meta:
        verbose_name = _("gap note")
        verbose_name_plural = _("gap notes")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return self.text


CLIENT_KEY_MAX_LENGTH = 64


class ClientWrite(models.Model):
    """A participant's write, by the key their phone gave it (sessions.services.replays): sent
    again (a double tap, a retry after a lost answer, the phone's outbox after a drop), it is
    answered as done and not done twice. Holds no text: the key, what kind of write, and the
    ids it created, to answer a replay with them."""

    participant = models.ForeignKey(Participant, models.CASCADE, related_name="+")
    key = models.CharField(max_length=CLIENT_KEY_MAX_LENGTH)
    kind = models.CharField(max_length=20)
    result = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("write sent from a phone")
        verbose_name_plural = _("writes sent from phones")
        constraints = [
            models.UniqueConstraint(fields=["participant", "key"], name="one_write_per_client_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


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


class ModerationAction(models.Model):
    """Who did what to which contribution or participant, and when (kept for accountability;
    it names facilitators, never a participant's words beyond the edited text)."""

    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="moderation_log")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=30)
    target = models.CharField(_("target"), max_length=60)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation log")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"
