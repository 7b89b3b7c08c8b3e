"""Pseudonyms in the reader's language: one stored pair of words, shown in English or French
wherever a participant's name is rendered (pages, the board, live updates)."""

import pytest
from django.urls import reverse
from django.utils import translation

from sessions.pseudonyms import ADJECTIVES, ADJECTIVES_FR, ANIMALS, ANIMALS_FR, in_language
from tests.factories import NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def test_every_pair_has_its_own_french_name():
    english = [f"{adjective} {animal}" for adjective in ADJECTIVES for animal in ANIMALS]
    french = [in_language(name, "fr") for name in english]

    assert len(ADJECTIVES_FR) == len(ADJECTIVES) and len(ANIMALS_FR) == len(ANIMALS)
    assert len(set(french)) == len(english)
    assert not set(french) & set(english)  # no pair is left in English


@pytest.mark.parametrize(
    ("stored", "language", "shown"),
    [
        ("Bright Otter", "fr", "Loutre Lumineuse"),
        ("Bright Fox", "fr-ca", "Renard Lumineux"),
        ("Proud Magpie 2", "fr", "Pie Fière 2"),
        ("Bright Otter", "en", "Bright Otter"),
        ("Bright Otter", None, "Bright Otter"),
        ("Someone Else", "fr", "Someone Else"),
    ],
)
def test_a_stored_pseudonym_is_rendered_in_the_reader_s_language(stored, language, shown):
    assert in_language(stored, language) == shown


def test_a_participant_s_name_follows_the_active_language_and_a_chosen_name_does_not():
    person = ParticipantFactory(pseudonym="Wise Owl")
    named = ParticipantFactory(live_session=person.live_session, display_name="Ada")

    with translation.override("fr"):
        assert (person.name, named.name) == ("Chouette Sage", "Ada")
    with translation.override("en"):
        assert (person.name, named.name) == ("Wise Owl", "Ada")
    assert person.pseudonym == "Wise Owl"  # stored once, in English


def test_the_board_shows_pseudonyms_in_french_to_a_french_reader(client, live_session):
    NeedFactory(
        live_session=live_session,
        author=ParticipantFactory(live_session=live_session, pseudonym="Golden Heron"),
        text="Safer visibility",
    )
    board = reverse("sessions:board", args=[live_session.code])

    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    french = client.get(board).text
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(board).text

    assert "Héron Doré" in french and "Golden Heron" not in french
    assert "Golden Heron" in english
