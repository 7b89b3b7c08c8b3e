"""The people of a session: its participants, and the browsers a facilitator removed."""

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sessions import pseudonyms
from sessions.enums import Presence
from sessions.models.session import DISPLAY_NAME_MAX_LENGTH, LiveSession


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
