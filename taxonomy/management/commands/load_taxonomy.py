from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from taxonomy.datafile import BUNDLED_TAXONOMY_FILE, TaxonomyFileError
from taxonomy.loading import load_taxonomy


class Command(BaseCommand):
    help = (
        "Load a taxonomy data file (docs/taxonomy-format.md) into the database. Idempotent: "
        "rows are matched by slug or number, updated in place, and removed when the file no "
        "longer has them. Without FILE, loads the bundled Common Ground taxonomy."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            type=Path,
            default=BUNDLED_TAXONOMY_FILE,
            help="a taxonomy YAML file (default: the bundled Common Ground taxonomy)",
        )

    def handle(self, *args, file: Path, **options):
        try:
            summary = load_taxonomy(file)
        except TaxonomyFileError as error:
            raise CommandError(f"Nothing was loaded.\n{error}") from error
        self.stdout.write(str(summary))
