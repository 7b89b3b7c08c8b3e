"""The live session: its settings, phase, timer, spotlight and what is left after a purge."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sessions import phases
from sessions.enums import Phase
from taxonomy.models import Localized

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


class LiveSession(Localized, models.Model):
    code = models.CharField(_("join code"), max_length=JOIN_CODE_LENGTH, unique=True)
    title = models.CharField(_("title"), max_length=200)
    question = models.CharField(
        _("question"),
        max_length=300,
        blank=True,
        help_text=_("The question the session asks, shown on the board and in the report."),
    )
    # The texts a facilitator gives, optionally in French too: a French reader sees these,
    # anyone else (or a French reader where one is empty) the text above (local_title...).
    title_fr = models.CharField(_("title in French"), max_length=200, blank=True)
    question_fr = models.CharField(_("question in French"), max_length=300, blank=True)
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
    # The door: while closed nobody new joins (those already in carry on); a facilitator
    # closes it in one tap when a script floods it (sessions.services.door).
    door_closed = models.BooleanField(_("door closed to new participants"), default=False)
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
    prompts_fr = models.JSONField(_("phase prompts in French"), default=dict, blank=True)
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

    translated_fields = ("title", "question")

    @property
    def local_title(self) -> str:
        """The title in the reader's language: its French version for a French reader if
        given, else the title as given."""
        return self.localized("title")

    @property
    def local_question(self) -> str:
        return self.localized("question")

    def _own_prompt(self, phase: str) -> str:
        """The prompt the facilitators wrote for ``phase`` in the reader's language: their
        French version for a French reader, else the one they gave; "" if none."""
        if (get_language() or "").split("-")[0] == "fr" and self.prompts_fr.get(phase):
            return self.prompts_fr[phase]
        return self.prompts.get(phase, "")

    def prompt_for(self, phase: str | None = None) -> str:
        """The phase's prompt in the reader's language: the facilitators' own, else the
        default (translated)."""
        phase = phase or self.phase
        return self._own_prompt(phase) or str(phases.default_prompt(phase))

    @property
    def prompt_now(self) -> str:
        """The current phase's prompt as the screens show it: while the door is closed, the
        phase's closed-door default (the lobby's no longer asks people to join), unless the
        facilitators wrote their own."""
        closed_default = self.phase_spec.prompt_door_closed
        if self.door_closed and closed_default and not self._own_prompt(self.phase):
            return str(closed_default)
        return self.prompt_for()

    @property
    def phase_spec(self) -> phases.PhaseSpec:
        """The declaration of the current phase (sessions.phases): what it allows, what its
        screens show."""
        return phases.spec(self.phase)

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
