from django.urls import path, register_converter

from taxonomy import views
from taxonomy.citations import EXPORT_FORMATS


class CitationFormatConverter:
    regex = "|".join(EXPORT_FORMATS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CitationFormatConverter, "citation_format")

app_name = "taxonomy"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("s/<slug:slug>/", views.strategy, name="strategy"),
    path(
        "s/<slug:slug>/references.<citation_format:extension>",
        views.strategy_references_export,
        name="strategy_references_export",
    ),
    path("cases/", views.case_list, name="cases"),
    path("cases/<slug:slug>/", views.case, name="case"),
    path("references/", views.references, name="references"),
    path(
        "references.<citation_format:extension>",
        views.references_export,
        name="references_export",
    ),
    path("search/", views.search, name="search"),
    path("evidence/", views.evidence_page, name="evidence"),
    path("evidence.json", views.evidence_json, name="evidence_json"),
    path("evidence.csv", views.evidence_csv, name="evidence_csv"),
]
