"""Every export format in one zip ("download everything"): each file as its own download
names it and holds it, made by the same exporter with the same options (so the same privacy
rules: pseudonyms unless names were asked for, hidden content only when asked).

Its contents are the formats (sessions.exports.formats.FORMATS): a new format is in it without
an edit here. The files share one export time, so they agree with each other.
Written whole before it is sent (``streams = False``), as the workbook inside it is: an error
is then a 500, not a cut-off archive."""

import zipfile

from django.utils import timezone
from django.utils.translation import gettext_lazy

from sessions.exports.exporter import Exporter, SpooledExporter
from sessions.exports.formats import FORMATS

# Files that are compressed archives already are stored as they are.
ALREADY_COMPRESSED = ("application/zip", "application/vnd.openxmlformats")


class EverythingExporter(SpooledExporter):
    identifier = "everything.zip"
    url_name = "export_everything"
    name = gettext_lazy("Everything (zip)")
    format = "all"
    section = "everything"
    button = gettext_lazy("Download everything (zip)")
    description = gettext_lazy("Every file above in one zip, with the same options.")
    content_type = "application/zip"
    streams = False

    def contents(self) -> list[Exporter]:
        """Every format's exporter, as it would run alone, at this export's time."""
        exporters = []
        for exporter_class in FORMATS:
            exporter = exporter_class(self.live_session, self.options)
            exporter.exported_at = self.exported_at
            exporters.append(exporter)
        return exporters

    def write_to(self, stream) -> None:
        date_time = timezone.localtime(self.exported_at).timetuple()[:6]
        with zipfile.ZipFile(stream, mode="w") as archive:
            for exporter in self.contents():
                info = zipfile.ZipInfo(exporter.filename, date_time=date_time)
                compressed = exporter.content_type.startswith(ALREADY_COMPRESSED)
                info.compress_type = zipfile.ZIP_STORED if compressed else zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with archive.open(info, mode="w") as entry:
                    for chunk in exporter.chunks():  # the bytes of its single download
                        entry.write(chunk)
