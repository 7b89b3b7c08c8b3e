"""The vote control, the dot budget, the flash region and a need's card, built in Python
(sessions.fragments) for the page, the pushes and the answers: what a participant's words and
a refusal become in the markup, in both languages, with and without the page's request."""

from html.parser import HTMLParser

from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
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


# --- a need's card (sessions.fragments.participant_need_card) ----------------------------------


def card_of(phase="needs", *, viewer="author", status="visible", mapped=True, **session):
    """A need by "Ana <b>" with, when ``mapped``, her mapping and someone else's; the card as
    ``viewer`` ("author", "other", or None for a push) sees it."""
    from sessions.models import Mapping, Participant
    from taxonomy.models import Strategy

    live_session = LiveSession(pk=7, code="ABCD23", phase=phase, dot_budget=5, dot_cap=3, **session)
    ana = Participant(pk=1, live_session=live_session, display_name="Ana <b>", presence="remote")
    other = Participant(pk=2, live_session=live_session, pseudonym="calm-heron", presence="room")
    need = Need(pk=3, live_session=live_session, author=ana, status=status, edited=True)
    need.text, need.context, need.dot_total = 'Safer "streams" <script>x</script>', "Twitch & co", 1
    mappings = []
    if mapped:
        for pk, author, name in ((20, ana, "Réseaux <i>"), (21, other, "Audits")):
            strategy = Strategy(pk=pk, name=name, approach="platform")
            mapping = Mapping(pk=pk, live_session=live_session, need=need, author=author)
            mapping.strategy, mapping.reason, mapping.dot_total = strategy, "parce que <b>", 0
            mappings.append(mapping)
    empty = Need.objects.none()
    empty._result_cache, empty._prefetch_done = mappings, True
    need._prefetched_objects_cache = {"mappings": empty}
    who = {"author": ana, "other": other, None: None}[viewer]
    return fragments.participant_need_card(
        live_session=live_session, need=need, participant=who, csrf_token="TOKEN" if who else ""
    )


def test_a_cards_words_are_shown_as_words_never_as_markup():
    card = card_of("gaps")
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert "Ana &lt;b&gt;" in card and "Twitch &amp; co" in card
    assert "Réseaux &lt;i&gt;" in card and "parce que &lt;b&gt;" in card
    assert "<b>" not in card and "<i>" not in card
    text = "".join(Elements(card).text)
    assert 'Safer "streams" <script>x</script>' in text, "read back as typed"


def test_only_the_author_gets_the_controls_of_what_they_wrote():
    mine, theirs, pushed = card_of(), card_of(viewer="other"), card_of(viewer=None)
    assert "/needs/3/edit/" in mine and "/needs/3/delete/" in mine
    assert "/mappings/20/delete/" in mine and "/mappings/21/delete/" not in mine
    assert "/needs/3/" not in theirs and "/mappings/20/delete/" not in theirs
    assert "/mappings/21/delete/" in theirs, "their own mapping on Ana's need"
    assert "/edit/" not in pushed and "/delete/" not in pushed
    # The slots are there for everyone: the author's own page fills them, htmx keeps them.
    for card in (mine, theirs, pushed):
        slots = {attrs["id"] for attrs in Elements(card).with_attribute("hx-preserve")}
        assert {"own-need-3", "own-mapping-20", "own-mapping-21"} <= slots
    assert 'name="csrfmiddlewaretoken" value="TOKEN"' in mine
    assert "csrfmiddlewaretoken" not in pushed


def test_each_phase_offers_what_it_allows_on_a_card():
    needs, mapping, voting, gaps = (card_of(p) for p in ("needs", "mapping", "voting", "gaps"))
    assert "data-picker-link" in mapping and "data-picker-link" not in needs + voting + gaps
    assert "data-picker-link" not in card_of("mapping", input_locked=True)
    assert "vote-control" in voting and "mapping-votes" in voting
    assert "vote-control" not in needs + mapping + gaps
    assert "Dots for its 2 mappings" in voting
    assert f'href="{reverse("sessions:gap", args=["ABCD23"])}?mapping=20"' in gaps
    assert "Note a gap" in gaps and "Note a gap" not in voting


def test_a_pending_need_says_it_waits_and_takes_no_dots():
    card = card_of("voting", status="pending", mapped=False)
    assert "need-pending" in card and "waiting for a facilitator" in card
    assert "mine-need-3" not in card, "no dots on a need nobody else sees yet"


def test_a_card_speaks_the_participants_language():
    with translation.override("fr"):
        card = card_of("voting")
    assert "(modifié)" in card and "à distance" in card
    assert "Réseaux" in card


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
