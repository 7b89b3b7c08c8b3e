"""A live session and what participants contribute to it.

Everything a participant writes hangs off their Participant row with CASCADE, so erasing a
participant erases their needs, mappings, votes and gap notes in one delete; and everything
kept about a facilitator's action on it (a correction's previous text, what a merge moved)
hangs off the contribution, so it goes too. The moderation log only points at rows (SET_NULL):
it holds no participant's words and no id of theirs once they are erased."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sessions import phases, pseudonyms
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
        phase = phase or self.phase
        return self.prompts.get(phase) or str(phases.default_prompt(phase))

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
        # The door's figures (joins in the last minute, the silent burst) and the challenge's
        # cost read a session's newest joins: an index, not a scan of the room.
        indexes = [
            models.Index(fields=["live_session", "joined_at"], name="participant_joined_idx")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The chosen name, or the pseudonym in the active language ("Loutre Lumineuse")."""
        return self.display_name or pseudonyms.in_language(self.pseudonym, get_language())

    @property
    def is_remote(self) -> bool:
        return self.presence == Presence.REMOTE


class Contribution(models.Model):
    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="+")
    author = models.ForeignKey(Participant, models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=ContributionStatus, default=ContributionStatus.VISIBLE
    )
    # The status a facilitator's removal of the author hid it from, given back when the
    # removal is undone; empty when no removal hid it.
    status_before_removal = models.CharField(
        max_length=10, choices=ContributionStatus, blank=True, default="", editable=False
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


class CountedVotes(models.Manager):
    """Votes that count: a removed participant's dots are kept (hidden) for the undo of the
    removal, and left out of every count, budget and export by being left out here, the one
    place every read of votes goes through."""

    def get_queryset(self):
        return super().get_queryset().filter(hidden=False)


class Vote(models.Model):
    """A participant's dots on one need or one mapping (1..the session's cap)."""

    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, models.CASCADE, related_name="votes")
    need = models.ForeignKey(Need, models.CASCADE, null=True, blank=True, related_name="votes")
    mapping = models.ForeignKey(
        Mapping, models.CASCADE, null=True, blank=True, related_name="votes"
    )
    dots = models.PositiveSmallIntegerField(default=1)
    # Set while a facilitator has removed the participant (services.remove_participant).
    hidden = models.BooleanField(default=False, editable=False)

    # Every row, hidden ones included: for the services that move, hide and give back dots.
    with_hidden = models.Manager()
    objects = CountedVotes()

    class Meta:
        verbose_name = _("vote")
        # Related managers (need.votes, participant.votes) count what counts too.
        default_manager_name = "objects"
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


class RemovedBrowser(models.Model):
    """A browser a facilitator removed from the session, kept after its participant erased
    themselves so that a removal still holds (the brief's "a removed person stays removed").

    Only a keyed digest of the browser's device hash (sessions.identity.removed_digest): it
    matches the same browser coming back, and links to no row, no text and no id of the
    erased participant (the device hash itself, which the participant row held, is gone)."""

    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("removed browser")
        verbose_name_plural = _("removed browsers")
        constraints = [
            models.UniqueConstraint(
                fields=["live_session", "digest"], name="one_digest_per_removed_browser"
            )
        ]

    def __str__(self) -> str:
        return self.digest[:12]


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


class EvidenceRelease(models.Model):
    """One release of the session's evidence (services.publish_evidence) and the privacy
    budget it spent (taxonomy/privacy.py). Kept when the publication is taken back or replaced:
    a release may have been copied, so what it spent stays spent."""

    live_session = models.ForeignKey(LiveSession, models.CASCADE, related_name="evidence_releases")
    epsilon = models.DecimalField(_("privacy budget spent (ε)"), max_digits=8, decimal_places=6)
    released_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence release")
        verbose_name_plural = _("evidence releases")
        ordering = ["released_at", "pk"]

    def __str__(self) -> str:
        return f"{self.live_session_id}: ε {self.epsilon}"
