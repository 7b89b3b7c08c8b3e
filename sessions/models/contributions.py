"""What participants contribute: needs, their mappings onto strategies, dots and gap notes,
and the writes a phone already made (ClientWrite)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sessions.enums import ContributionStatus, GapKind
from sessions.models.people import Participant
from sessions.models.session import (
    CONTEXT_MAX_LENGTH,
    GAP_MAX_LENGTH,
    NEED_MAX_LENGTH,
    REASON_MAX_LENGTH,
    LiveSession,
)


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
    # The ``updated`` its words were last compared at for merge suggestions
    # (services.suggestions): compared again whenever ``updated`` is later.
    compared_at = models.DateTimeField(null=True, blank=True, editable=False)

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
