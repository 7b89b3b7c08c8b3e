"""Starting a session from one already run, or from a template shipped with the app: the
set-up comes along, people and content never do."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from sessions import services
from sessions.enums import Phase
from sessions.models import GapNote, LiveSession, Need, Participant
from sessions.setups import SETUP_FIELDS, TEMPLATES
from tests.factories import GapNoteFactory, MappingFactory, NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def test_duplicating_copies_the_set_up_and_none_of_the_people_or_content(live_session, facilitator):
    co_facilitator = get_user_model().objects.create_user("co", password="pw")
    live_session.facilitators.add(co_facilitator)
    LiveSession.objects.filter(pk=live_session.pk).update(
        question="What do you need?",
        enabled_phases=["lobby", "needs", "voting", "wrapup"],
        prompts={"needs": "One need per note, please"},
        dot_budget=7,
        dot_cap=2,
        premoderation=True,
        allow_display_names=False,
        close_input_at_zero=False,
        phase=Phase.VOTING,
        announcement="Break in five minutes",
    )
    live_session.refresh_from_db()
    need = NeedFactory(author=ParticipantFactory(live_session=live_session))
    MappingFactory(need=need)
    GapNoteFactory(author=need.author)

    copy = services.duplicate_session(
        source=live_session, title="Second workshop", facilitator=facilitator
    )

    assert {name: getattr(copy, name) for name in SETUP_FIELDS} == {
        name: getattr(live_session, name) for name in SETUP_FIELDS
    }
    assert (copy.title, copy.phase, copy.announcement) == ("Second workshop", "lobby", "")
    assert copy.code != live_session.code
    assert list(copy.facilitators.all()) == [facilitator]
    assert not Participant.objects.filter(live_session=copy).exists()
    assert not Need.objects.filter(live_session=copy).exists()
    assert not GapNote.objects.filter(live_session=copy).exists()


def test_the_copy_s_prompts_are_its_own(live_session, facilitator):
    live_session.prompts = {"needs": "Original"}
    live_session.save()
    copy = services.duplicate_session(source=live_session, title="Copy", facilitator=facilitator)

    services.configure_session(
        live_session=copy, actor=facilitator, prompts={"needs": "Changed in the copy"}
    )

    live_session.refresh_from_db()
    assert live_session.prompts == {"needs": "Original"}


@pytest.mark.parametrize("slug", sorted(TEMPLATES))
def test_each_shipped_template_starts_a_session(slug, live_session, facilitator):
    template = TEMPLATES[slug]

    created = services.create_from_template(
        template=slug,
        title="From a template",
        taxonomy=live_session.taxonomy,
        facilitator=facilitator,
    )

    assert created.enabled_phases == list(template.enabled_phases)
    assert (created.dot_budget, created.dot_cap) == (template.dot_budget, template.dot_cap)
    assert created.dot_cap <= created.dot_budget
    assert created.question == str(template.question)
    assert created.phase == "lobby" and list(created.facilitators.all()) == [facilitator]


def test_the_plenary_template_keeps_a_large_room_safe(live_session, facilitator):
    created = services.create_from_template(
        template="plenary", title="Plenary", taxonomy=live_session.taxonomy, facilitator=facilitator
    )

    assert created.premoderation and not created.allow_display_names
    assert "mapping" not in created.enabled_phases


def test_a_template_s_texts_come_in_both_languages_each_reader_sees_their_own(
    live_session, facilitator
):
    with translation.override("fr"):  # whoever creates it, in whichever language
        created = services.create_from_template(
            template="remote-only",
            title="À distance",
            taxonomy=live_session.taxonomy,
            facilitator=facilitator,
        )

    with translation.override("en"):
        english = str(TEMPLATES["remote-only"].question)
        assert created.question == english
        assert created.local_question == english
        assert "call" in created.prompt_for("lobby")
    with translation.override("fr"):
        assert created.question_fr == str(TEMPLATES["remote-only"].question) != english
        assert created.local_question == created.question_fr
        assert "appel" in created.prompt_for("lobby")


def test_an_unknown_template_is_refused(live_session, facilitator):
    with pytest.raises(services.InvalidInput, match="Choose one of the templates"):
        services.create_from_template(
            template="x", title="T", taxonomy=live_session.taxonomy, facilitator=facilitator
        )
