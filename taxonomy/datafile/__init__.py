"""The taxonomy data file (docs/taxonomy-format.md): its format as a JSON Schema (schema),
reading YAML with line numbers (reading), and validation into a plan to write (validation).
Loading the plan into the database is taxonomy.loading; writing a file back, taxonomy.exporting.
"""

from taxonomy.datafile.errors import TaxonomyFileError
from taxonomy.datafile.reading import (
    BUNDLED_TAXONOMY_FILE,
    parse_taxonomy_yaml,
    read_taxonomy_file,
)
from taxonomy.datafile.validation import TaxonomyPlan, validate_taxonomy

__all__ = [
    "BUNDLED_TAXONOMY_FILE",
    "TaxonomyFileError",
    "TaxonomyPlan",
    "parse_taxonomy_yaml",
    "read_taxonomy_file",
    "validate_taxonomy",
]
