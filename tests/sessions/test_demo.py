import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from sessions.demo import DEMO_NEEDS, DEMO_TITLE
from sessions.enums import Phase
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy_with_demo_strategies():
    """The bundled taxonomy: the demo names its strategies by their slugs there."""
    call_command("load_taxonomy", stdout=io.StringIO())


@pytest.fixture
def debug(settings):
    """`make run` seeds the demo with DEBUG on (the test settings have it off)."""
    settings.DEBUG = True


def test_seed_demo_builds_a_lively_session_once_and_prints_the_urls(
    taxonomy_with_demo_strategies, debug, capsys
):
    call_command("seed_demo")
    call_command("seed_demo")

    live_session = LiveSession.objects.get(title=DEMO_TITLE)
    out = capsys.readouterr().out
    assert f"/join/{live_session.code}/" in out and f"/s/{live_session.code}/board/" in out
    assert "facilitator / commonground-demo" in out
    assert live_session.phase == Phase.MAPPING
    assert Participant.objects.count() == len(DEMO_NEEDS) == 14
    assert Participant.objects.filter(presence="remote").count() == 5
    assert Need.objects.count() == 14
    assert Mapping.objects.count() == sum(len(slugs) for *_, slugs in DEMO_NEEDS)
    assert sum(Vote.objects.values_list("dots", flat=True)) == 14 * 4
    assert GapNote.objects.count() == 3
    assert live_session.facilitators.get().username == "facilitator"


def test_seed_demo_explains_when_no_taxonomy_is_loaded(db, debug):
    with pytest.raises(CommandError, match="load_taxonomy"):
        call_command("seed_demo")


def test_seed_demo_refuses_outside_debug_without_a_password(taxonomy_with_demo_strategies):
    with pytest.raises(CommandError, match="--password"):
        call_command("seed_demo")

    assert not get_user_model().objects.exists()
    assert not LiveSession.objects.exists()


def test_seed_demo_outside_debug_uses_the_password_given_and_does_not_print_it(
    taxonomy_with_demo_strategies, capsys
):
    call_command("seed_demo", "--password", "a-long-private-passphrase")

    out = capsys.readouterr().out
    assert "a-long-private-passphrase" not in out and "commonground-demo" not in out
    client = Client()
    assert client.login(username="facilitator", password="a-long-private-passphrase")
    assert not client.login(username="facilitator", password="commonground-demo")


def test_the_demo_user_facilitates_the_demo_session_and_nothing_more(
    taxonomy_with_demo_strategies, debug
):
    # An account left by an earlier version of seed_demo was a superuser.
    get_user_model().objects.create_superuser("facilitator", password="commonground-demo")

    call_command("seed_demo", stdout=io.StringIO())

    user = get_user_model().objects.get(username="facilitator")
    live_session = LiveSession.objects.get(title=DEMO_TITLE)
    assert not user.is_superuser and not user.is_staff
    assert list(user.facilitated_sessions.all()) == [live_session]
    client = Client()
    client.force_login(user)
    assert client.get(f"/facilitate/{live_session.code}/").status_code == 200
    assert client.get("/admin/").status_code == 302  # to the admin's login: not staff
