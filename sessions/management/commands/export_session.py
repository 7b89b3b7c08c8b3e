"""Export a live session from the shell with the same exporters as the organiser's pages."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sessions.exports import EXPORTERS
from sessions.exports.scope import ExportOptions
from sessions.models import LiveSession

# --format's values, from the registry: a new exporter is a new format here too.
FORMATS = {exporter.format: identifier for identifier, exporter in EXPORTERS.items()}


class Command(BaseCommand):
    help = (
        "Export a live session as CSV tables (zip), an XLSX workbook, JSON, a Markdown report or "
        "all of them in one zip. Pseudonymous and without hidden content unless asked."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("code", help="the session's join code")
        parser.add_argument("--format", choices=sorted(FORMATS), required=True)
        parser.add_argument(
            "--output",
            help="file to write (default: CODE-<export> in the current directory; - for stdout)",
        )
        parser.add_argument(
            "--include-names", action="store_true", help="include participants' display names"
        )
        parser.add_argument(
            "--include-hidden",
            action="store_true",
            help="include hidden and pending content and removed participants",
        )

    def handle(self, *args, code: str, format: str, output: str | None, **options) -> None:
        try:
            live_session = LiveSession.objects.select_related("taxonomy").get(code=code.upper())
        except LiveSession.DoesNotExist:
            raise CommandError(f"No live session has the code {code.upper()}.") from None
        exporter = EXPORTERS[FORMATS[format]](
            live_session,
            ExportOptions(
                include_names=options["include_names"], include_hidden=options["include_hidden"]
            ),
        )
        if output == "-":
            exporter.write_to(sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        path = Path(output or exporter.filename)
        with path.open("wb") as file:
            exporter.write_to(file)
        self.stderr.write(f"Wrote {path}")
