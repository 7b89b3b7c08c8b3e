import io

import pytest
from django.core.management import call_command

from sessions.demo import DEMO_NEEDS, DEMO_TITLE
from sessions.enums import Phase
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy_with_demo_strategies():
    """The bundled taxonomy: the demo names its strategies by their slugs there."""
    call_command("load_taxonomy", stdout=io.StringIO())


def test_seed_demo_builds_a_lively_session_once_and_prints_the_urls(
    taxonomy_with_demo_strategies, capsys
):
    call_command("seed_demo")
    call_command("seed_demo")

    live_session = LiveSession.objects.get(title=DEMO_TITLE)
    out = capsys.readouterr().out
    assert f"/join/{live_session.code}/" in out and f"/s/{live_session.code}/board/" in out
    assert "facilitator / commonground-demo" in out
    assert live_session.phase == Phase.MAPPING
    assert Participant.objects.count() == 12
    assert Participant.objects.filter(presence="remote").count() == 4
    assert Need.objects.count() == 12
    assert Mapping.objects.count() == sum(len(slugs) for *_, slugs in DEMO_NEEDS)
    assert sum(Vote.objects.values_list("dots", flat=True)) == 12 * 4
    assert GapNote.objects.count() == 3
    assert live_session.facilitators.get().username == "facilitator"


def test_seed_demo_explains_when_no_taxonomy_is_loaded(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="load_taxonomy"):
        call_command("seed_demo")
