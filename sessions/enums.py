from django.db import models
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    LOBBY = "lobby", _("Lobby")
    NEEDS = "needs", _("Needs")
    MAPPING = "mapping", _("Mapping")
    VOTING = "voting", _("Voting")
    GAPS = "gaps", _("Gaps")
    WRAPUP = "wrapup", _("Wrap-up")


PHASE_ORDER = [phase.value for phase in Phase]


class Presence(models.TextChoices):
    IN_ROOM = "room", _("In the room")
    REMOTE = "remote", _("Joining remotely")


class GapKind(models.TextChoices):
    AWARENESS = "awareness", _("Awareness")
    ACCESSIBILITY = "accessibility", _("Accessibility")
    EMPOWERMENT = "empowerment", _("Empowerment")
    SAFETY = "safety", _("Safety")
    NO_RESEARCH = "no_research", _("No research yet")
    OTHER = "other", _("Other")


class ContributionStatus(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    PENDING = "pending", _("Waiting for moderation")
    HIDDEN = "hidden", _("Hidden by a facilitator")
    # A need merged into another (or one of its mappings folded into the other need's mapping
    # of the same strategy): kept, shown nowhere, so that the merge can be undone.
    MERGED = "merged", _("Merged into another need")


# What a facilitator can set a contribution to (a merge alone makes one MERGED).
MODERATION_STATUSES = [
    ContributionStatus.VISIBLE,
    ContributionStatus.PENDING,
    ContributionStatus.HIDDEN,
]
