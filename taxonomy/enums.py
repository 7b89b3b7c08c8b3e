from django.db import models
from django.utils.translation import gettext_lazy as _


class Approach(models.TextChoices):
    """Where a strategy acts. The workshop's gap: communities appear in platform-based
    strategies and are nearly absent from model-based ones."""

    PLATFORM = "platform", _("Platform-based")
    MODEL = "model", _("Model-based")
    LEGAL_ORGANISING = "legal_organising", _("Legal and organising")


class ReferenceKind(models.TextChoices):
    ARTICLE = "article", _("Journal article")
    INPROCEEDINGS = "inproceedings", _("Conference paper")
    PREPRINT = "preprint", _("Preprint")
    WEBPAGE = "webpage", _("Web page or blog post")
    LEGAL = "legal", _("Legal document")
