"""Admin for the taxonomy. Content usually arrives through `manage.py load_taxonomy`; the admin
is for corrections between loads (a later load of the file overwrites them, so fix the file too).
"""

import json

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from taxonomy.models import Case, Category, Reference, Strategy, Taxonomy


class SameTaxonomyForm(forms.ModelForm):
    """Refuses links to rows of another taxonomy (a category, parent, reference or related
    strategy picked from the wrong workshop's taxonomy)."""

    linked_fields = ("category", "parent", "strategies", "references", "related")

    def clean(self):
        cleaned = super().clean()
        taxonomy = cleaned.get("taxonomy")
        if taxonomy is None:
            return cleaned
        for name in self.linked_fields:
            value = cleaned.get(name)
            if value is None:
                continue
            linked = [value] if hasattr(value, "taxonomy_id") else list(value)
            if any(item.taxonomy_id != taxonomy.pk for item in linked):
                self.add_error(name, _("Choose only items from the taxonomy %s.") % taxonomy)
        return cleaned


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ("position", "name", "goal", "slug")
    extra = 0
    show_change_link = True


class StrategyInline(admin.TabularInline):
    model = Strategy
    fk_name = "category"
    fields = ("position", "name", "slug", "approach", "summary")
    extra = 0
    show_change_link = True


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "version", "is_default", "strategy_count")
    list_filter = ("is_default",)
    search_fields = ("title", "slug", "description")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [CategoryInline]
    fieldsets = (
        (None, {"fields": ("title", "slug", "version", "description", "is_default")}),
        (_("French"), {"fields": ("title_fr", "description_fr")}),
        (
            _("Glossary"),
            {
                "fields": ("glossary",),
                "description": _(
                    "The workshop's words in English and French; merge suggestions read them "
                    "with the strategies' and cases' synonyms."
                ),
            },
        ),
        (
            _("The community the workshop is about"),
            {
                "fields": ("community", "community_name", "community_name_fr"),
                "description": _(
                    "A strategy's research pays attention to this community when one of its "
                    "references, or of its cases' references, lists the community's slug."
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(strategy_count=Count("strategies"))

    @admin.display(description=_("strategies"), ordering="strategy_count")
    def strategy_count(self, obj: Taxonomy) -> int:
        return obj.strategy_count


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "goal", "position", "taxonomy")
    list_display_links = ("name",)
    list_filter = ("taxonomy",)
    list_select_related = ("taxonomy",)
    search_fields = ("name", "goal", "slug", "summary", "name_fr", "goal_fr")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [StrategyInline]

    def save_formset(self, request, form, formset, change):
        # A strategy added inline belongs to the category's taxonomy; the inline has no field
        # for it, so that the two cannot disagree.
        for strategy in formset.save(commit=False):
            strategy.taxonomy_id = form.instance.taxonomy_id
            strategy.save()
        for strategy in formset.deleted_objects:
            strategy.delete()
        formset.save_m2m()


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    form = SameTaxonomyForm
    list_display = ("name", "category", "approach", "parent", "position", "taxonomy")
    list_filter = ("taxonomy", "category", "approach")
    list_select_related = ("category", "parent", "taxonomy")
    search_fields = ("name", "slug", "summary", "description", "name_fr", "summary_fr")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("category", "parent")
    filter_horizontal = ("references", "related")
    fieldsets = (
        (None, {"fields": ("taxonomy", "category", "parent", "name", "slug", "approach")}),
        (_("Text"), {"fields": ("summary", "description", "position")}),
        (_("French"), {"fields": ("name_fr", "summary_fr", "description_fr")}),
        (_("Search"), {"fields": ("synonyms",)}),
        (_("Links"), {"fields": ("references", "related")}),
    )


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    form = SameTaxonomyForm
    list_display = ("name", "year", "community", "platform", "position", "taxonomy")
    list_filter = ("taxonomy", "year", "strategies__approach", "strategies__category")
    list_select_related = ("taxonomy",)
    search_fields = (
        "name",
        "slug",
        "community",
        "platform",
        "summary",
        "description",
        "name_fr",
        "summary_fr",
    )
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("strategies", "references")


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "first_author", "year", "kind", "taxonomy")
    list_display_links = ("number", "title")
    list_filter = ("taxonomy", "kind", "year")
    list_select_related = ("taxonomy",)
    search_fields = ("title", "key", "authors", "venue", "doi", "url")
    # Without it, Django 5.2 warns that the form's default scheme changes to https in 6.0.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("taxonomy", "number", "key", "kind")}),
        (_("Citation"), {"fields": ("authors", "year", "title", "venue")}),
        (
            _("Publication details"),
            {"fields": ("volume", "issue", "pages", "publisher", "address", "series", "month")},
        ),
        (_("Links"), {"fields": ("doi", "url", "note")}),
        (_("Communities studied"), {"fields": ("communities",)}),
    )

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # JSONField text escapes non-ASCII on SQLite ("D\u00fcnner"), so a name typed with its
        # diacritics would not match the authors list without also trying the escaped form.
        escaped = json.dumps(search_term.strip())[1:-1]
        if search_term.strip() and escaped != search_term.strip():
            results |= queryset.filter(authors__icontains=escaped)
        return results, may_have_duplicates

    @admin.display(description=_("first author"))
    def first_author(self, obj: Reference) -> str:
        if not obj.authors:
            return ""
        return obj.authors[0] + (" et al." if len(obj.authors) > 1 else "")
