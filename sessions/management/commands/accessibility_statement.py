"""Write docs/accessibility.md from commonground/accessibility.py (the statement's one source)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from commonground.accessibility import as_markdown

STATEMENT_FILE = Path(settings.BASE_DIR) / "docs" / "accessibility.md"


class Command(BaseCommand):
    help = "Write docs/accessibility.md from commonground/accessibility.py."

    def handle(self, *args, **options):
        STATEMENT_FILE.write_text(as_markdown(), encoding="utf-8")
        self.stdout.write(f"Wrote {STATEMENT_FILE}")
