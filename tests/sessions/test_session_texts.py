"""The texts a facilitator gives a session (title, question, each phase's prompt), with an
optional French version beside each: a French reader sees it on the phone, the board, the
results and the report; anyone else, or a French reader where none was given, the text as
given (issue 25)."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sessions.enums import Phase
from sessions.models import LiveSession

pytestmark = pytest.mark.django_db

FRENCH = {"headers": {"Accept-Language": "fr"}}
ENGLISH = {"headers": {"Accept-Language": "en"}}


def settings_data(live_session, **texts) -> dict:
    return {
        "title": "Closing the gap",
        "question": "What do our communities need?",
        "taxonomy": live_session.taxonomy.pk,
        "enabled_phases": [phase.value for phase in Phase],
        "dot_budget": 5,
        "dot_cap": 3,
        "allow_display_names": "on",
        "prompt_needs": "Post what your community needs.",
        **texts,
    }


def bilingual(live_session, **fields) -> LiveSession:
    values = {
        "title": "Closing the gap",
        "title_fr": "Combler l’écart",
        "question": "What do our communities need?",
        "question_fr": "De quoi nos communautés ont-elles besoin ?",
        "prompts": {"needs": "Post what your community needs."},
        "prompts_fr": {"needs": "Publiez ce dont votre communauté a besoin."},
        "phase": Phase.NEEDS,
        **fields,
    }
    LiveSession.objects.filter(pk=live_session.pk).update(**values)
    live_session.refresh_from_db()
    return live_session


def test_the_settings_form_offers_a_french_version_right_after_each_text(
    facilitator_client, live_session
):
    page = facilitator_client.get(reverse("sessions:settings", args=[live_session.code]))

    names = list(page.context["form"].fields)
    assert names[names.index("title") + 1] == "title_fr"
    assert names[names.index("question") + 1] == "question_fr"
    for phase in Phase:
        assert names[names.index(f"prompt_{phase.value}") + 1] == f"prompt_{phase.value}_fr"
    assert "Title in French (optional)" in page.text


def test_the_french_versions_are_saved_and_shown_again_in_the_form(
    facilitator_client, live_session
):
    url = reverse("sessions:settings", args=[live_session.code])

    response = facilitator_client.post(
        url,
        settings_data(
            live_session,
            title_fr="Combler l’écart",
            question_fr="De quoi avons-nous besoin ?",
            prompt_needs_fr="Publiez un besoin.",
        ),
    )

    live_session.refresh_from_db()
    assert response.status_code == 302
    assert live_session.title_fr == "Combler l’écart"
    assert live_session.question_fr == "De quoi avons-nous besoin ?"
    assert live_session.prompts_fr == {"needs": "Publiez un besoin."}
    form = facilitator_client.get(url).context["form"]
    assert form["title_fr"].value() == "Combler l’écart"
    assert form["prompt_needs_fr"].value() == "Publiez un besoin."


def test_a_french_version_too_long_is_refused_next_to_it(facilitator_client, live_session):
    response = facilitator_client.post(
        reverse("sessions:settings", args=[live_session.code]),
        settings_data(live_session, title_fr="é" * 201),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["title_fr"] == [
        "Ensure this value has at most 200 characters (it has 201)."
    ]


def test_each_reader_sees_the_texts_in_their_language_with_the_given_one_as_fallback(
    live_session,
):
    session = bilingual(live_session, prompts_fr={})

    with translation.override("fr"):
        assert session.local_title == "Combler l’écart"
        assert session.local_question == "De quoi nos communautés ont-elles besoin ?"
        assert session.prompt_for("needs") == "Post what your community needs."  # no French
        assert session.prompt_for("voting") == (
            "Placez vos pastilles sur les besoins et les correspondances qui comptent le plus."
        )
    with translation.override("en"):
        assert session.local_title == "Closing the gap"
        assert session.prompt_for("needs") == "Post what your community needs."


def test_with_the_door_closed_the_lobby_no_longer_asks_people_to_join(live_session):
    live_session.phase = Phase.LOBBY
    live_session.door_closed = True

    with translation.override("en"):
        assert live_session.prompt_now == "Welcome! We start in a moment."
        # What the phase asks as set up (the settings form, exports) is unchanged.
        assert live_session.prompt_for() == (
            "Welcome! Join with the code or QR code. We start in a moment."
        )
    with translation.override("fr"):
        assert live_session.prompt_now == "Bienvenue! Nous commençons dans un instant."

    live_session.prompts = {"lobby": "Coffee first, then we begin."}
    with translation.override("en"):
        assert live_session.prompt_now == "Coffee first, then we begin."  # their own words stay

    live_session.door_closed = False
    live_session.prompts = {}
    with translation.override("en"):
        assert live_session.prompt_now == live_session.prompt_for()


def test_a_phone_and_the_board_show_the_french_texts_to_a_french_reader(
    client, participant, live_session
):
    session = bilingual(live_session)
    client.cookies[f"cg_p_{session.code}"] = participant.token

    phone_fr = client.get(reverse("sessions:participant", args=[session.code]), **FRENCH)
    phone_en = client.get(reverse("sessions:participant", args=[session.code]), **ENGLISH)
    board_fr = client.get(reverse("sessions:board", args=[session.code]), **FRENCH)
    stranger = Client()
    join_fr = stranger.get(reverse("sessions:join", args=[session.code]), **FRENCH)

    for page in (phone_fr, board_fr):
        assert "Combler l’écart" in page.text
        assert "Closing the gap" not in page.text
        assert "Publiez ce dont votre communauté a besoin." in page.text
    assert "Combler l’écart" in join_fr.text
    assert "Closing the gap" in phone_en.text and "Combler" not in phone_en.text
    assert "Post what your community needs." in phone_en.text


def test_the_report_and_the_results_in_french_carry_the_french_texts(
    facilitator_client, client, live_session
):
    session = bilingual(live_session, phase=Phase.WRAPUP)

    report = facilitator_client.get(
        reverse("sessions:export_report", args=[session.code]), **FRENCH
    )
    markdown = facilitator_client.get(
        reverse("sessions:export_markdown", args=[session.code]), **FRENCH
    )
    results = client.get(reverse("sessions:results", args=[session.code]), **FRENCH)

    assert "Combler l’écart" in report.text
    assert "De quoi nos communautés ont-elles besoin ?" in report.text
    body = b"".join(markdown.streaming_content).decode()
    assert "Combler l’écart" in body
    assert "Combler l’écart" in results.text and "Closing the gap" not in results.text
