import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from taxonomy.datafile.schema import FILE_SCHEMA
from taxonomy.exporting import export_taxonomy, taxonomy_to_yaml
from taxonomy.models import Taxonomy
from taxonomy.queries import default_taxonomy


class Command(BaseCommand):
    help = (
        "Export a taxonomy as a YAML data file that load_taxonomy reads back unchanged "
        "(docs/taxonomy-format.md). Writes to standard output unless --output is given. "
        "With --schema, writes the file format's JSON Schema instead (docs/taxonomy-schema.json)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--taxonomy", metavar="SLUG", help="default: the default taxonomy")
        parser.add_argument("--output", metavar="FILE", type=Path, help="default: stdout")
        parser.add_argument(
            "--schema", action="store_true", help="the JSON Schema of the file format instead"
        )

    def handle(self, *args, taxonomy: str | None, output: Path | None, schema: bool, **options):
        if schema:
            self._write(schema_json(), output, "the JSON Schema")
            return
        if taxonomy:
            chosen = Taxonomy.objects.filter(slug=taxonomy).first()
            if chosen is None:
                known = ", ".join(Taxonomy.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(f"No taxonomy with slug {taxonomy!r} (known: {known}).")
        else:
            chosen = default_taxonomy()
            if chosen is None:
                raise CommandError("There is no taxonomy to export; load one first.")
        self._write(taxonomy_to_yaml(export_taxonomy(chosen)), output, repr(chosen.slug))

    def _write(self, text: str, output: Path | None, what: str) -> None:
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from error
        self.stderr.write(f"Exported {what} to {output}")


def schema_json() -> str:
    """FILE_SCHEMA as the text of docs/taxonomy-schema.json (a test keeps the two equal)."""
    return json.dumps(FILE_SCHEMA, indent=2, ensure_ascii=False) + "\n"
