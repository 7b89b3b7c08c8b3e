"""The research taxonomy: categories of collective goals, strategies, real-world cases and
the references behind them. Content is loaded from a versioned data file (see
docs/taxonomy-format.md) and editable in the admin. Several taxonomies may coexist so that
another workshop can bring its own; the public site shows the default one."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taxonomy.enums import Approach, ReferenceKind


class Localized:
    """Text fields with a French version (``<field>_fr``): ``localized(name)`` gives the version
    in the active language, falling back to English where the translation is empty."""

    translated_fields: tuple[str, ...] = ()

    def localized(self, name: str) -> str:
        if name not in self.translated_fields:
            raise AttributeError(f"{type(self).__name__}.{name} has no translations")
        language = (get_language() or "").split("-")[0]
        if language and language != "en":
            value = getattr(self, f"{name}_{language}", "")
            if value:
                return value
        return getattr(self, name)


def validate_term_entries(value) -> None:
    """Synonyms or a glossary: a list of entries, each the words of one concept in English
    (at least one) and in French, as the data file has them (docs/taxonomy-format.md)."""
    if not isinstance(value, list) or not all(
        isinstance(entry, dict)
        and set(entry) <= {"en", "fr"}
        and isinstance(entry.get("en"), list)
        and entry["en"]
        and isinstance(entry.get("fr", []), list)
        and all(
            isinstance(term, str) and term.strip() for term in entry["en"] + entry.get("fr", [])
        )
        for entry in value
    ):
        raise ValidationError(
            _('A list of entries such as {"en": ["shadowban"], "fr": ["shadowban", "masqué"]}.')
        )


def validate_community_slugs(value) -> None:
    """A reference's communities: a list of slugs (``lgbtqia2s``), as the data file has it."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_('Enter a list of community slugs, such as ["lgbtqia2s"].'))
    for item in value:
        validate_slug(item)


class Taxonomy(Localized, models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    version = models.CharField(_("version"), max_length=40, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Shown on the public taxonomy site.")
    )
    # The community the workshop is about. A strategy's research pays attention to it when one
    # of its references (or of its cases') lists this slug among the communities it studies.
    community = models.SlugField(
        _("community the workshop is about"),
        max_length=80,
        blank=True,
        help_text=_("A slug, such as lgbtqia2s; references list the communities they study."),
    )
    community_name = models.CharField(_("community name"), max_length=200, blank=True)
    community_name_fr = models.CharField(_("community name (French)"), max_length=200, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    # The workshop's everyday words in both languages ("posts", "publications"), which merge
    # suggestions read beside the strategies' and cases' synonyms (sessions/similarity.py).
    glossary = models.JSONField(
        _("glossary"), default=list, blank=True, validators=[validate_term_entries]
    )

    translated_fields = ("title", "description", "community_name")

    class Meta:
        verbose_name = _("taxonomy")
        verbose_name_plural = _("taxonomies")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_taxonomy",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})" if self.version else self.title


class Category(Localized, models.Model):
    taxonomy = models.ForeignKey(Taxonomy, models.CASCADE, related_name="categories")
    slug = models.SlugField(_("slug"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    goal = models.CharField(_("collective goal"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    goal_fr = models.CharField(_("collective goal (French)"), max_length=200, blank=True)
    summary_fr = models.CharField(_("summary (French)"), max_length=300, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)

    translated_fields = ("name", "goal", "summary", "description")

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["taxonomy", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "slug"], name="unique_category_slug")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("taxonomy:category", args=[self.slug])


class Reference(models.Model):
    taxonomy = models.ForeignKey(Taxonomy, models.CASCADE, related_name="references")
    number = models.PositiveSmallIntegerField(_("number"))
    key = models.SlugField(_("citation key"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=ReferenceKind)
    # Names exactly as the source gives them, in order; an organisation is one entry.
    authors = models.JSONField(_("authors"), default=list)
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=500)
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    volume = models.CharField(_("volume"), max_length=40, blank=True)
    issue = models.CharField(_("issue"), max_length=40, blank=True)
    pages = models.CharField(_("pages"), max_length=40, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    # Where the publisher is, as the source gives it ("New York, NY, USA"); BibTeX's address.
    address = models.CharField(_("publisher's place"), max_length=200, blank=True)
    # A proceedings series the venue belongs to ("CEUR workshop proceedings").
    series = models.CharField(_("series"), max_length=200, blank=True)
    month = models.CharField(_("month"), max_length=20, blank=True)
    doi = models.CharField(_("DOI"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Slugs of the communities the work studies; the taxonomy's ``community`` among them means
    # the strategies citing it pay attention to the community the workshop is about.
    communities = models.JSONField(
        _("communities studied"),
        default=list,
        blank=True,
        validators=[validate_community_slugs],
        help_text=_('Slugs of the communities this work studies, such as ["lgbtqia2s"].'),
    )

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        ordering = ["taxonomy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "number"], name="unique_reference_number"),
            models.UniqueConstraint(fields=["taxonomy", "key"], name="unique_reference_key"),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("taxonomy:references") + f"#ref-{self.number}"

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def link(self) -> str:
        return self.doi_url or self.url


class Strategy(Localized, models.Model):
    taxonomy = models.ForeignKey(Taxonomy, models.CASCADE, related_name="strategies")
    category = models.ForeignKey(Category, models.CASCADE, related_name="strategies")
    # A lever of a broader strategy (data strikes under data leverage).
    parent = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, related_name="children"
    )
    slug = models.SlugField(_("slug"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    approach = models.CharField(_("approach"), max_length=20, choices=Approach)
    summary = models.CharField(_("summary"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    references = models.ManyToManyField(Reference, blank=True, related_name="strategies")
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    summary_fr = models.CharField(_("summary (French)"), max_length=300, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    # The community's own words for it, in both languages (shadowban, algospeak): the public
    # search finds the strategy by them, and merge suggestions read them as a glossary.
    synonyms = models.JSONField(
        _("synonyms"), default=list, blank=True, validators=[validate_term_entries]
    )

    translated_fields = ("name", "summary", "description")

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        ordering = ["taxonomy", "category__position", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "slug"], name="unique_strategy_slug")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("taxonomy:strategy", args=[self.slug])


class Case(Localized, models.Model):
    """A real-world example that illustrates one or more strategies."""

    taxonomy = models.ForeignKey(Taxonomy, models.CASCADE, related_name="cases")
    slug = models.SlugField(_("slug"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    community = models.CharField(_("community"), max_length=200, blank=True)
    platform = models.CharField(_("platform"), max_length=200, blank=True)
    summary = models.CharField(_("summary"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    strategies = models.ManyToManyField(Strategy, related_name="cases")
    references = models.ManyToManyField(Reference, blank=True, related_name="cases")
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    community_fr = models.CharField(_("community (French)"), max_length=200, blank=True)
    platform_fr = models.CharField(_("platform (French)"), max_length=200, blank=True)
    summary_fr = models.CharField(_("summary (French)"), max_length=300, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    synonyms = models.JSONField(
        _("synonyms"), default=list, blank=True, validators=[validate_term_entries]
    )

    translated_fields = ("name", "community", "platform", "summary", "description")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["taxonomy", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "slug"], name="unique_case_slug")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("taxonomy:case", args=[self.slug])


class PublishedWorkshop(models.Model):
    """A finished workshop's aggregate results, published by its organisers to the evidence
    of its taxonomy (taxonomy/evidence.py): noisy counts only (differential privacy,
    taxonomy/privacy.py), never a text or a pseudonym. Unpublishing deletes it."""

    taxonomy = models.ForeignKey(Taxonomy, models.CASCADE, related_name="published_workshops")
    # The live session it came from (its join code), to update or unpublish it; never shown.
    source = models.CharField(max_length=40, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    # The people who contributed, with noise (never the number who merely joined).
    participants = models.PositiveIntegerField(_("participants"))
    # What the session's releases have spent of its privacy budget, this one included.
    epsilon = models.DecimalField(
        _("privacy budget spent (ε)"), max_digits=8, decimal_places=6, default=0
    )
    published_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("published workshop")
        verbose_name_plural = _("published workshops")
        ordering = ["-held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on})"


class EvidenceCount(models.Model):
    """What one published workshop put on one strategy, or on one approach (``strategy``
    empty): its noisy counts (taxonomy/privacy.py). Never shown one by one: the evidence shows
    totals over workshops, and withholds a total whose noisy count of people is under
    EVIDENCE_MINIMUM (taxonomy/evidence.py). A noisy count may be below zero, so that summed
    over workshops the noise averages out instead of adding up; an approach's count of people
    is not measured (null)."""

    workshop = models.ForeignKey(PublishedWorkshop, models.CASCADE, related_name="counts")
    strategy = models.ForeignKey(
        Strategy, models.CASCADE, null=True, blank=True, related_name="evidence"
    )
    approach = models.CharField(max_length=20, choices=Approach)
    participants = models.IntegerField(null=True, blank=True)
    needs_mapped = models.IntegerField()
    dots = models.IntegerField()
    gap_notes = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "strategy"], name="one_evidence_row_per_strategy"
            ),
            models.UniqueConstraint(
                fields=["workshop", "approach"],
                condition=models.Q(strategy__isnull=True),
                name="one_evidence_row_per_approach",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workshop_id}: {self.strategy or self.approach}"


# No figure is shown that rests on fewer people than this (PRODUCT.md, "After the day"): on
# the evidence, fewer as counted with noise (taxonomy/privacy.py says why).
EVIDENCE_MINIMUM = 5
