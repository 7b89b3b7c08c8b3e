"""The releases of a session's evidence and the privacy budget each spent."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sessions.models.session import LiveSession


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
