"""Organiser exports, included by sessions/urls.py under ``facilitate/<code>/export/``.

Kept in their own module so the shared sessions/urls.py needs only one include line. No
``app_name``: the names live in the ``sessions`` namespace (``sessions:export_csv``, ...).
A file download's path is its exporter's identifier and its name the exporter's url_name."""

from django.urls import path

from sessions.exports import EXPORTERS
from sessions.views import exports

urlpatterns = [
    path("", exports.export_index, name="export"),
    path("report/", exports.report, name="export_report"),
    *(
        path(identifier, exports.download, {"identifier": identifier}, name=exporter.url_name)
        for identifier, exporter in EXPORTERS.items()
    ),
]
