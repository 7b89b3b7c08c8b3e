"""The accessibility statement (issue 25): every WCAG 2.2 A and AA success criterion once, with
a status for the participant, board and facilitator views; every test it names exists;
docs/accessibility.md is what commonground/accessibility.py says; the page is served and
linked from the footer of every page with one, in English and French."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from commonground.accessibility import CRITERIA, STATUSES, VIEWS, as_markdown, named_tests

ROOT = Path(settings.BASE_DIR)
# WCAG 2.2 level A and AA (4.1.1 Parsing is obsolete and removed in 2.2).
WCAG_22_A_AA = [
    "1.1.1",
    "1.2.1",
    "1.2.2",
    "1.2.3",
    "1.2.4",
    "1.2.5",
    "1.3.1",
    "1.3.2",
    "1.3.3",
    "1.3.4",
    "1.3.5",
    "1.4.1",
    "1.4.2",
    "1.4.3",
    "1.4.4",
    "1.4.5",
    "1.4.10",
    "1.4.11",
    "1.4.12",
    "1.4.13",
    "2.1.1",
    "2.1.2",
    "2.1.4",
    "2.2.1",
    "2.2.2",
    "2.3.1",
    "2.4.1",
    "2.4.2",
    "2.4.3",
    "2.4.4",
    "2.4.5",
    "2.4.6",
    "2.4.7",
    "2.4.11",
    "2.5.1",
    "2.5.2",
    "2.5.3",
    "2.5.4",
    "2.5.7",
    "2.5.8",
    "3.1.1",
    "3.1.2",
    "3.2.1",
    "3.2.2",
    "3.2.3",
    "3.2.4",
    "3.2.6",
    "3.3.1",
    "3.3.2",
    "3.3.3",
    "3.3.4",
    "3.3.7",
    "3.3.8",
    "4.1.2",
    "4.1.3",
]


def test_every_a_and_aa_criterion_of_wcag_22_is_stated_once_with_a_status_per_view():
    assert [criterion.number for criterion in CRITERIA] == WCAG_22_A_AA
    for criterion in CRITERIA:
        assert criterion.level in ("A", "AA")
        assert criterion.remarks
        for view in VIEWS:
            assert getattr(criterion, view) in STATUSES, (criterion.number, view)


def test_every_test_the_statement_names_exists():
    for test in named_tests():
        path, name = test.split("::")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"def {name}\(", source), test


def test_a_criterion_that_falls_short_says_so_in_its_remarks():
    short = [c for c in CRITERIA if c.falls_short]

    assert {c.number for c in short} >= {"2.1.4", "1.4.12", "3.1.2", "2.4.11"}
    markdown = as_markdown()
    for criterion in short:
        assert f"- **{criterion.number} {criterion.name}**" in markdown


def test_docs_accessibility_md_is_written_from_the_declaration():
    written = (ROOT / "docs" / "accessibility.md").read_text(encoding="utf-8")

    assert written == as_markdown(), "run: python scripts/accessibility_statement.py"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "link", "heading", "status"),
    [
        ("en", "Accessibility statement", "Each success criterion", "Does not support"),
        ("fr", "Déclaration d’accessibilité", "Chaque critère de succès", "Non prise en charge"),
    ],
)
def test_the_statement_is_served_and_linked_from_the_footer(
    client, live_session, language, link, heading, status
):
    url = reverse("accessibility")
    pages = ["/", "/taxonomy/", "/join/", reverse("sessions:join", args=[live_session.code])]

    for path in pages:
        page = client.get(path, headers={"Accept-Language": language})
        footer = page.text[page.text.index('<footer class="site-footer') :]
        assert f'<a href="{url}">{link}</a>' in footer, path
    statement = client.get(url, headers={"Accept-Language": language})
    assert statement.status_code == 200
    assert heading in statement.text and status in statement.text
    assert statement.text.count('<tr id="sc-') == len(WCAG_22_A_AA)
    assert 'lang="en">2.1.4 Character Key Shortcuts</th>' in statement.text
