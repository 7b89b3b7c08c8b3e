"""Write docs/accessibility.md from commonground/accessibility.py (the statement's one source):
`.venv/bin/python scripts/accessibility_statement.py`. A script of the project, not a command of
an app: the apps never import the project package (tests/test_import_graph.py)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATEMENT_FILE = ROOT / "docs" / "accessibility.md"

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonground.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from commonground.accessibility import as_markdown

    STATEMENT_FILE.write_text(as_markdown(), encoding="utf-8")
    print(f"Wrote {STATEMENT_FILE}")
