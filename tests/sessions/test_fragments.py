"""The vote control, the dot budget and the flash region, built in Python (sessions.fragments)
for the page, the pushes and each vote's answer: what a participant's words and a refusal
become in the markup, in both languages, with and without the page's request."""

from html.parser import HTMLParser

from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from sessions import fragments
from sessions.models import LiveSession, Need
from sessions.queries.common import dots_by_item

PARTIALS = "sessions/partials/participant.html"


class Elements(HTMLParser):
    """Every start tag's attributes and the text of the document, as a browser reads them."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def with_attribute(self, name: str) -> list[dict]:
        return [attrs for _tag, attrs in self.tags if name in attrs]


def voting_session(**changes) -> LiveSession:
    return LiveSession(pk=7, code="ABCD23", phase="voting", dot_budget=5, dot_cap=3, **changes)


def test_a_needs_words_reach_the_outbox_as_words_never_as_markup():
    words = 'Safer <script>alert("x")</script> & streams'
    need = Need(pk=42, live_session_id=7, text=words, status="visible")
    html = fragments.vote_control(live_session=voting_session(), kind="need", item=need, mine=None)
    parsed = Elements(html)
    assert "<script>" not in html
    abouts = {attrs["data-outbox-about"] for attrs in parsed.with_attribute("data-outbox-about")}
    assert abouts == {words}  # the phone's outbox names the vote by the need's own words


def test_a_refusal_is_said_next_to_the_button_and_to_screen_readers_escaped():
    need = Need(pk=42, live_session_id=7, text="Safer streams", status="visible")
    html = fragments.vote_result(
        live_session=voting_session(),
        kind="need",
        item=need,
        mine=dots_by_item([(42, None, 3)]),
        refusal="Full: <b>3</b> dots on one item.",
    )
    parsed = Elements(html)
    why = [attrs for tag, attrs in parsed.tags if attrs.get("id") == "vote-need-42-why"]
    assert why and "data-refusal" in why[0]
    assert "<b>" not in html
    assert parsed.text.count("Full: <b>3</b> dots on one item.") == 2  # the control, the flash
    adding = [attrs for tag, attrs in parsed.tags if "vote-add" in attrs.get("class", "")]
    assert "disabled" in adding[0] and adding[0]["data-blocked"] == "cap"


def test_the_control_and_the_budget_speak_the_participants_language():
    need = Need(pk=42, live_session_id=7, text="Flux plus sûrs", status="visible")
    with translation.override("fr"):
        html = fragments.vote_result(
            live_session=voting_session(),
            kind="need",
            item=need,
            mine=dots_by_item([(42, None, 2)]),
        )
    text = " ".join("".join(Elements(html).text).split())
    assert "Vos pastilles : 2" in text
    assert "Il vous reste 3 pastilles" in text
    assert "Ajouter une pastille" in text and "Reprendre une pastille" in text


def test_the_budget_says_one_dot_and_none_left_and_blocks_adding_when_spent():
    need = Need(pk=42, live_session_id=7, text="Safer streams", status="visible")
    one = fragments.dot_budget(live_session=voting_session(), dots_left=1)
    assert "You have <strong>1</strong> dot left" in one
    spent = fragments.vote_control(
        live_session=voting_session(), kind="need", item=need, mine=None, dots_left=0
    )
    adding = [attrs for tag, attrs in Elements(spent).tags if "vote-add" in attrs.get("class", "")]
    assert adding[0]["data-blocked"] == "spent" and "disabled" in adding[0]


def test_the_page_gives_its_forms_the_csrf_token_and_a_push_does_not():
    need = Need(pk=42, live_session_id=7, text="Safer streams", status="visible")
    context = {"live_session": voting_session(), "kind": "need", "item": need, "mine": None}
    request = RequestFactory().get("/s/ABCD23/")
    page = render_to_string(f"{PARTIALS}#vote-control", context, request=request)
    push = render_to_string(f"{PARTIALS}#vote-control", context)
    assert 'name="csrfmiddlewaretoken"' in page
    assert "csrfmiddlewaretoken" not in push
    # Each form a key of its own, so that sending it twice is one vote (services.replays).
    keys = [a["value"] for a in Elements(page).with_attribute("name") if a["name"] == "client_key"]
    assert len(keys) == 1 and keys[0]


def test_input_paused_blocks_both_buttons_and_says_why():
    need = Need(pk=42, live_session_id=7, text="Safer streams", status="visible")
    html = fragments.vote_control(
        live_session=voting_session(input_locked=True),
        kind="need",
        item=need,
        mine=dots_by_item([(42, None, 1)]),
        dots_left=4,
    )
    buttons = [attrs for tag, attrs in Elements(html).tags if tag == "button"]
    assert len(buttons) == 2 and all("disabled" in attrs for attrs in buttons)
    assert "Input is paused by the facilitators." in html


# --- the need form emptied after a post (views.participant_answers.empty_need_form) ---------


def test_the_emptied_need_form_is_crispys_form_with_this_requests_token_and_a_fresh_key():
    from django.middleware.csrf import get_token
    from django.template import engines

    from sessions.forms import NewNeedForm
    from sessions.views.participant_answers import empty_need_form

    crispy = engines["django"].from_string("{% load crispy_forms_tags %}{% crispy need_form %}")
    for language, code in (("en", "ABCD23"), ("fr", "ABCD23"), ("fr", "WXYZ45")):
        with translation.override(language):
            action = f"/s/{code}/needs/"
            request = RequestFactory().post(action)
            first = empty_need_form(request, action)
            second = empty_need_form(request, action)  # the second from what was kept
            keys = [Elements(html).with_attribute("name") for html in (first, second)]
            submission_ids = [
                next(a["value"] for a in found if a["name"] == "submission_id") for found in keys
            ]
            assert submission_ids[0] != submission_ids[1], "each answer a fresh submission id"
            form = NewNeedForm(action=action, initial={"submission_id": submission_ids[1]})
            expected = crispy.render({"need_form": form}, request)
            token = next(a["value"] for a in keys[1] if a["name"] == "csrfmiddlewaretoken")
            assert len(token) == 64 and token != "csrfstandin0000"
            assert request.META["CSRF_COOKIE_NEEDS_UPDATE"], "the token's cookie is set"
            # The same markup, but for the masked token (each rendering masks it anew).
            assert second.replace(token, "T") == expected.replace(
                next(
                    a["value"]
                    for a in Elements(expected).with_attribute("name")
                    if a["name"] == "csrfmiddlewaretoken"
                ),
                "T",
            )
            label = {"en": 'value="Post need"', "fr": 'value="Publier le besoin"'}[language]
            assert label in second, "in the reader's language"
            assert get_token(request)
