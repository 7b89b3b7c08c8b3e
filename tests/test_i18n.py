"""The French interface: a complete, compiled catalogue, French pages, dates in the active
locale, and a language choice remembered by a cookie without an account."""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.conftest import client_for
from tests.factories import CaseFactory, StrategyFactory

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
# Left out of the extraction, as in the makemessages command documented in the README: the
# virtualenv, static and vendored files, the tests, and what is not source.
NOT_SOURCES = {"static", "staticfiles", "node_modules", "tests", "locale", "__pycache__"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\{\s*(\w+)\s*\}\}")


# --- a minimal .po reader (polib is not a dependency) ------------------------------------------


def read_po(path: Path) -> dict[tuple[str | None, str], dict]:
    """Entries by (msgctxt, msgid): msgid_plural, msgstr (a list: one per plural form), flags.
    Obsolete entries (#~) are left out."""
    entries: dict[tuple[str | None, str], dict] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if not lines:
            continue
        flags: set[str] = set()
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current] += ast.literal_eval(line)
            else:
                current, _, value = line.partition(" ")
                fields[current] = ast.literal_eval(value)
        if "msgid" not in fields:
            continue
        if "msgid_plural" in fields:
            forms = sorted(key for key in fields if key.startswith("msgstr["))
            msgstr = [fields[key] for key in forms]
        else:
            msgstr = [fields.get("msgstr", "")]
        entries[(fields.get("msgctxt"), fields["msgid"])] = {
            "msgid_plural": fields.get("msgid_plural"),
            "msgstr": msgstr,
            "flags": flags,
        }
    return entries


def mo_catalog(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def po_catalog(entries: dict) -> dict:
    """What a compiled .mo holds for these entries (untranslated and fuzzy ones are left out)."""
    catalog = {}
    for (context, msgid), entry in entries.items():
        if "fuzzy" in entry["flags"] or not all(entry["msgstr"]):
            continue
        key = f"{context}\x04{msgid}" if context else msgid
        if entry["msgid_plural"] is None:
            catalog[key] = entry["msgstr"][0]
        else:
            for index, form in enumerate(entry["msgstr"]):
                catalog[(key, index)] = form
    return catalog


# --- the catalogue --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict:
    """The msgids makemessages finds in the code now, extracted from a copy of the sources
    into an empty catalogue (the committed one is never touched)."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed: cannot extract msgids")
    workdir = tmp_path_factory.mktemp("extract") / "project"

    def ignore(directory, names):
        return [
            name
            for name in names
            if name in NOT_SOURCES
            or name.startswith(".")
            or not (Path(directory, name).is_dir() or name.endswith((".py", ".html", ".txt")))
        ]

    shutil.copytree(ROOT, workdir, ignore=ignore)
    (workdir / "locale").mkdir()
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(settings, "LOCALE_PATHS", [workdir / "locale"])
            call_command("makemessages", locale=["fr"], verbosity=0)
    finally:
        os.chdir(cwd)
    return read_po(workdir / "locale" / "fr" / "LC_MESSAGES" / "django.po")


def test_every_interface_string_is_translated_into_french(extracted):
    committed = read_po(PO_FILE)
    missing, untranslated, fuzzy = [], [], []
    for key, entry in extracted.items():
        if key == (None, ""):
            continue  # the header
        if key not in committed:
            missing.append(key[1])
        elif "fuzzy" in committed[key]["flags"]:
            fuzzy.append(key[1])
        elif not all(form.strip() for form in committed[key]["msgstr"]):
            untranslated.append(key[1])
        elif entry["msgid_plural"] != committed[key]["msgid_plural"]:
            missing.append(f"{key[1]} (plural changed)")
    assert len(extracted) > 400  # the extraction really ran over the whole project
    assert not missing, f"not in locale/fr/LC_MESSAGES/django.po (run makemessages): {missing}"
    assert not untranslated, f"no French translation: {untranslated}"
    assert not fuzzy, f"fuzzy, to review: {fuzzy}"


def test_the_catalogue_has_no_fuzzy_or_empty_entry_and_keeps_placeholders():
    entries = read_po(PO_FILE)
    header = entries.pop((None, ""))
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header["msgstr"][0]
    assert "Language: fr" in header["msgstr"][0]
    for (_, msgid), entry in entries.items():
        assert "fuzzy" not in entry["flags"], msgid
        if entry["msgid_plural"] is None:
            assert len(entry["msgstr"]) == 1 and entry["msgstr"][0].strip(), msgid
            expected = set(PLACEHOLDER.findall(msgid))
            assert set(PLACEHOLDER.findall(entry["msgstr"][0])) == expected, msgid
        else:
            assert len(entry["msgstr"]) == 2 and all(entry["msgstr"]), msgid
            expected = set(PLACEHOLDER.findall(entry["msgid_plural"]))
            for form in entry["msgstr"]:
                assert set(PLACEHOLDER.findall(form)) == expected, msgid


def test_the_committed_mo_is_compiled_from_the_committed_po(tmp_path):
    committed = mo_catalog(MO_FILE)
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        # Without gettext tools: compare with what the .po says, read by hand.
        expected = po_catalog(read_po(PO_FILE))
        expected[""] = committed[""]
    else:
        compiled = tmp_path / "django.mo"
        result = subprocess.run(
            [msgfmt, "--check", "-o", str(compiled), str(PO_FILE)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        expected = mo_catalog(compiled)
    assert committed == expected, "django.mo is stale: run `manage.py compilemessages`"


# --- French pages ---------------------------------------------------------------------------


def choose_french(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_home_page_in_french_with_the_date_in_french(client):
    english = client.get(reverse("home")).text
    assert '<time datetime="2026-06-25">June 25, 2026</time>' in english

    page = choose_french(client).get(reverse("home")).text
    assert '<html lang="fr"' in page
    assert "Rejoindre une séance" in page
    assert "Parcourir la taxonomie" in page
    assert "En personne, avec participation hybride" in page
    assert '<time datetime="2026-06-25">25 juin 2026</time>' in page
    assert "Join a session" not in page


@pytest.mark.django_db
def test_taxonomy_overview_in_french(client):
    strategy = StrategyFactory(name="Data strikes", name_fr="Grèves de données")
    strategy.category.name_fr = "Stratégies de retrait algorithmique"
    strategy.category.save()
    CaseFactory(strategies=[strategy])

    page = choose_french(client).get(reverse("taxonomy:overview")).text
    assert '<html lang="fr"' in page
    assert "Les catégories et leurs stratégies" in page
    assert "Objectif collectif\u00a0:" in page
    assert "Stratégies de retrait algorithmique" in page
    assert "Grèves de données" in page
    assert "Axée sur la plateforme" in page or "Axée sur le modèle" in page


@pytest.mark.django_db
def test_join_pages_in_french(client, live_session):
    choose_french(client)
    page = client.get(reverse("sessions:join_form")).text
    assert '<html lang="fr"' in page
    assert "Rejoindre une séance" in page
    assert "Code de la séance" in page

    page = client.get(reverse("sessions:join", args=[live_session.code])).text
    assert "Entente de communauté" in page
    assert "Aucun compte, aucun courriel." in page
    assert "D’où participez-vous?" in page

    refused = client.get(reverse("sessions:join_form"), {"code": "??"}).text
    assert "Un code de séance compte six lettres et chiffres" in refused


@pytest.mark.django_db
def test_participant_page_and_board_in_french(client, live_session, participant):
    client_for(client, participant)
    choose_french(client)

    page = client.get(reverse("sessions:participant", args=[live_session.code])).text
    assert '<html lang="fr"' in page
    assert "Vos données" in page
    assert "M’effacer de cette séance" in page
    assert 'data-live-text="En direct"' in page
    assert "Phase\u00a0: Besoins" in page
    assert "Publier un besoin" in page

    board = client.get(reverse("sessions:board", args=[live_session.code])).text
    assert '<html lang="fr"' in board
    assert "Besoins des communautés" in board
    assert "Participez à l’adresse" in board


@pytest.mark.django_db
def test_need_help_text_follows_the_language_of_each_request():
    from sessions.forms import NeedForm

    with translation.override("fr"):
        assert str(NeedForm().fields["text"].help_text) == "280 caractères au maximum."
    with translation.override("en"):
        assert str(NeedForm().fields["text"].help_text) == "At most 280 characters."


# --- the language cookie --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_choice_is_remembered_by_a_cookie_alone(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]

    # A fresh browser with nothing but that cookie (no session, no account) gets French.
    fresh = Client()
    fresh.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie.value
    for _ in range(2):
        page = fresh.get(reverse("home")).text
        assert '<html lang="fr"' in page and "Rejoindre une séance" in page
    assert '<html lang="en"' in Client().get(reverse("home")).text


@pytest.mark.parametrize(("debug", "secure"), [("false", "True"), ("true", "False")])
def test_the_language_cookie_is_secure_in_production(debug, secure):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY")
    }
    env.update(DEBUG=debug, SECRET_KEY="a-long-production-secret-" + "k9Xq2" * 10)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import commonground.settings as s; "
            "print(s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_SAMESITE, s.LANGUAGE_COOKIE_AGE)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [secure, "Lax", str(365 * 24 * 60 * 60)]
