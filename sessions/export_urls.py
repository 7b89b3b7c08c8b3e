"""Organiser exports, included by sessions/urls.py under ``facilitate/<code>/export/``.

Kept in their own module so the shared sessions/urls.py needs only one include line. No
``app_name``: the names live in the ``sessions`` namespace (``sessions:export_csv``, ...)."""

from django.urls import path

from sessions.views import exports

urlpatterns = [
    path("", exports.export_index, name="export"),
    path("csv.zip", exports.download, {"identifier": "csv.zip"}, name="export_csv"),
    path("session.xlsx", exports.download, {"identifier": "session.xlsx"}, name="export_xlsx"),
    path("session.json", exports.download, {"identifier": "session.json"}, name="export_json"),
    path("report/", exports.report, name="export_report"),
    path("report.md", exports.download, {"identifier": "report.md"}, name="export_markdown"),
]
