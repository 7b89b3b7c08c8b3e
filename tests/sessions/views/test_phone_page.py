"""The participant page in one hand (issue 14): only an item's author gets its controls, what
waits for a facilitator stays on its author's phone, a removed phone is told and stays out,
and the controls that cannot act say why."""

import re

import pytest
from django.urls import reverse

from sessions import services
from sessions.enums import ContributionStatus, Phase
from sessions.live.change import Change
from sessions.live.kinds import event_of
from sessions.live.render import change_for, render_messages
from sessions.models import GapNote, LiveSession, Need, Vote
from tests.conftest import client_for
from tests.factories import GapNoteFactory, MappingFactory, NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
PENDING = ContributionStatus.PENDING

# What an owner's controls look like in a page: a form or link to edit, delete or remove.
OWNER_CONTROL = re.compile(r"/(needs/\d+/(edit|delete)|mappings/\d+/delete|gaps/\d+/delete)/")


def set_phase(live_session, phase, **fields):
    LiveSession.objects.filter(pk=live_session.pk).update(phase=phase, **fields)
    live_session.refresh_from_db()


def participants_messages(live_session, change) -> list[str]:
    return [
        message["html"]
        for group, message in render_messages(live_session.pk, change)
        if ".participants." in group
    ]


@pytest.fixture
def written(live_session, participant, strategies):
    """A need, a mapping and a gap note by ``participant``, a need by someone else."""
    need = NeedFactory(author=participant, text="Captions on every video")
    mapping = MappingFactory(need=need, author=participant, strategy=strategies[0])
    note = GapNoteFactory(author=participant, strategy=strategies[1])
    other = NeedFactory(author=ParticipantFactory(live_session=live_session))
    return {"need": need, "mapping": mapping, "note": note, "other": other}


# --- owner-only controls --------------------------------------------------------------------


@pytest.mark.parametrize("phase", [Phase.NEEDS, Phase.MAPPING, Phase.VOTING, Phase.GAPS])
def test_another_participants_page_holds_no_control_over_what_they_did_not_write(
    client, live_session, written, phase
):
    set_phase(live_session, phase)
    stranger = client_for(client, ParticipantFactory(live_session=live_session))

    page = stranger.get(reverse("sessions:participant", args=[live_session.code])).text

    assert "Captions on every video" in page
    assert not OWNER_CONTROL.search(page)


@pytest.mark.parametrize("phase", [Phase.NEEDS, Phase.GAPS])
def test_the_authors_page_holds_the_controls_of_what_they_wrote(
    participant_client, live_session, written, phase
):
    set_phase(live_session, phase)
    code = live_session.code

    page = participant_client.get(reverse("sessions:participant", args=[code])).text

    assert reverse("sessions:edit_need", args=[code, written["need"].pk]) in page
    assert reverse("sessions:delete_need", args=[code, written["need"].pk]) in page
    assert reverse("sessions:delete_mapping", args=[code, written["mapping"].pk]) in page
    assert reverse("sessions:delete_gap", args=[code, written["note"].pk]) in page
    assert reverse("sessions:delete_need", args=[code, written["other"].pk]) not in page


def test_pushed_updates_hold_no_owner_control(live_session, written):
    for html in participants_messages(live_session, Change.everything()):
        assert "Captions on every video" in html
        assert not OWNER_CONTROL.search(html)
        # The slots the author's own page fills are there, empty, and kept by htmx.
        assert f'<div id="own-need-{written["need"].pk}" hx-preserve="true"' in html


def test_posting_a_need_answers_with_the_authors_card_and_its_controls(
    participant_client, live_session
):
    response = participant_client.post(
        reverse("sessions:post_need", args=[live_session.code]),
        {"text": "Appeals a person reads"},
        headers=HTMX,
    )

    need = Need.objects.get(live_session=live_session)
    assert 'hx-swap-oob="beforeend:#needs-list" data-upsert' in response.text
    assert f'<div id="own-need-{need.pk}" hx-swap-oob="innerHTML">' in response.text
    assert reverse("sessions:delete_need", args=[live_session.code, need.pk]) in response.text


def test_withdrawing_answers_with_words_for_where_the_item_was(
    participant_client, live_session, written
):
    """Issue 25: the words that take the item's place (static/js/answers.js puts them there),
    and no out-of-band delete that a push may already have done (htmx:oobErrorNoTarget)."""
    code = live_session.code
    mapping = written["mapping"]
    response = participant_client.post(
        reverse("sessions:delete_mapping", args=[code, mapping.pk]), headers=HTMX
    )

    assert 'hx-swap-oob="delete"' not in response.text
    assert "Your mapping is removed." in response.text
    assert (
        f'data-withdrawn="mapping-{mapping.pk}" hidden>Removed: your mapping to '
        f"{mapping.strategy.name}.</p>"
    ) in response.text


def test_a_gap_notes_author_gets_its_delete_control_in_the_answer(participant_client, live_session):
    """Issue 25: filled in after the gaps, so a push that came first cannot keep it empty."""
    live_session.phase = "gaps"
    live_session.save()
    strategy = live_session.taxonomy.strategies.first()
    response = participant_client.post(
        reverse("sessions:gap", args=[live_session.code]),
        {"target": f"strategy-{strategy.pk}", "kind": "other", "text": "Nobody asked us"},
        headers=HTMX,
    )

    note = GapNote.objects.get(text="Nobody asked us")
    assert f'<span id="own-gap-{note.pk}" hx-swap-oob="innerHTML">' in response.text
    assert reverse("sessions:delete_gap", args=[live_session.code, note.pk]) in response.text


def test_an_empty_gap_note_is_refused_in_the_apps_words(participant_client, live_session):
    live_session.phase = "gaps"
    live_session.save()
    strategy = live_session.taxonomy.strategies.first()
    response = participant_client.post(
        reverse("sessions:gap", args=[live_session.code]),
        {"target": f"strategy-{strategy.pk}", "text": "   "},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert "Your gap note is empty: write a few words first." in response.text
    assert "Choose what is missing: one of the options above." in response.text
    assert "This field is required." not in response.text


# --- pending needs --------------------------------------------------------------------------


def test_a_pending_need_is_shown_to_its_author_alone_with_its_controls(
    participant_client, client, live_session, participant
):
    need = NeedFactory(author=participant, text="Waiting words", status=PENDING)
    url = reverse("sessions:participant", args=[live_session.code])

    mine = participant_client.get(url).text
    theirs = client_for(client, ParticipantFactory(live_session=live_session)).get(url).text

    pending_list = mine.split('id="my-pending-list"')[1].split("</ol>")[0]
    assert "Waiting words" in pending_list and "waiting for a facilitator" in pending_list
    assert reverse("sessions:edit_need", args=[live_session.code, need.pk]) in pending_list
    assert reverse("sessions:delete_need", args=[live_session.code, need.pk]) in pending_list
    assert "Waiting words" not in theirs


def test_a_pending_need_stays_on_its_authors_phone_until_a_facilitator_hides_it(
    live_session, participant
):
    need = NeedFactory(author=participant, status=PENDING)
    delete = f'<div id="need-{need.pk}" hx-swap-oob="delete">'

    posted = participants_messages(
        live_session, change_for(event_of("need_posted", 1, {"need_id": need.pk}))
    )
    need.status = ContributionStatus.HIDDEN
    need.save()
    hidden = participants_messages(
        live_session,
        change_for(event_of("need_moderated", 1, {"status": "hidden", "need_id": need.pk})),
    )

    assert all(delete not in html for html in posted)
    assert all(delete in html for html in hidden)


def test_approving_a_pending_need_pushes_its_card(live_session, participant, facilitator):
    need = NeedFactory(author=participant, text="Approved words", status=PENDING)

    services.moderate(actor=facilitator, contribution=need, status=ContributionStatus.VISIBLE)
    messages = participants_messages(
        live_session,
        change_for(event_of("need_moderated", 1, {"status": "visible", "need_id": need.pk})),
    )

    assert all("Approved words" in html and "data-upsert" in html for html in messages)


def test_the_author_edits_and_withdraws_a_pending_need(
    participant_client, live_session, participant
):
    need = NeedFactory(author=participant, status=PENDING)
    code = live_session.code

    participant_client.post(reverse("sessions:edit_need", args=[code, need.pk]), {"text": "Better"})
    need.refresh_from_db()
    assert (need.text, need.status) == ("Better", PENDING)
    participant_client.post(reverse("sessions:delete_need", args=[code, need.pk]), headers=HTMX)
    assert not Need.objects.filter(live_session=live_session).exists()


# --- removal --------------------------------------------------------------------------------


def test_a_removal_tells_the_removed_phone_by_its_public_id(live_session, participant):
    change = change_for(
        event_of(
            "participant_removed",
            live_session.pk,
            {"written": [], "touched": [], "public_id": participant.public_id},
        )
    )

    for html in participants_messages(live_session, change):
        assert f'id="live-removed" hidden data-people="{participant.public_id}"' in html


def test_removals_in_one_push_are_all_told():
    change = Change.of(removed_people=["a1"])
    change.merge(Change.of(removed_people=["b2"]))

    assert change.removed_people == {"a1", "b2"}


def test_a_removed_device_gets_the_calm_page_not_the_join_form(
    participant_client, live_session, participant, facilitator
):
    services.remove_participant(actor=facilitator, participant=participant)

    page = participant_client.get(reverse("sessions:participant", args=[live_session.code]))
    join = participant_client.get(reverse("sessions:join", args=[live_session.code]))
    tap = participant_client.post(
        reverse("sessions:vote", args=[live_session.code]),
        {"kind": "need", "item": 1, "action": "add"},
        headers=HTMX,
    )

    for response in (page, join):
        assert response.status_code == 403
        assert "A facilitator has removed you from this session." in response.text
        assert 'name="agree"' not in response.text
    assert tap.status_code == 403 and tap.headers["HX-Refresh"] == "true"


def test_a_join_refused_for_a_removed_device_shows_the_calm_page(client, live_session, monkeypatch):
    def refuse(**kwargs):
        raise services.ParticipantRemoved("A facilitator has removed you from this session.")

    monkeypatch.setattr(services, "join_session", refuse)

    response = client.post(
        reverse("sessions:join", args=[live_session.code]), {"presence": "room", "agree": "on"}
    )

    assert response.status_code == 403
    assert "You are no longer taking part in this session" in response.text


# --- controls that cannot act say why -------------------------------------------------------


def test_the_add_dot_button_is_disabled_with_the_reason_when_the_cap_is_reached(
    participant_client, live_session, participant
):
    set_phase(live_session, Phase.VOTING, dot_budget=5, dot_cap=1)
    need = NeedFactory(
        live_session=live_session, author=ParticipantFactory(live_session=live_session)
    )
    Vote.objects.create(live_session=live_session, participant=participant, need=need, dots=1)

    page = participant_client.get(reverse("sessions:participant", args=[live_session.code])).text
    control = page.split(f'id="vote-need-{need.pk}"')[1].split("</div>\n</div>")[0]

    assert re.search(
        r'class="btn btn-primary vote-btn vote-add" data-blocked="cap"[^>]* disabled', control
    )
    assert "Full: at most 1 dot on one item." in control
    assert "Take a dot back" in control


def test_every_add_dot_button_is_disabled_when_the_budget_is_spent(
    participant_client, live_session, participant
):
    set_phase(live_session, Phase.VOTING, dot_budget=1, dot_cap=1)
    author = ParticipantFactory(live_session=live_session)
    needs = [NeedFactory(live_session=live_session, author=author) for _ in range(3)]
    Vote.objects.create(live_session=live_session, participant=participant, need=needs[0], dots=1)

    page = participant_client.get(reverse("sessions:participant", args=[live_session.code])).text

    assert page.count('vote-add" data-blocked="spent"') == 2
    assert page.count("No dots left: take one back to move it.") >= 2
    assert 'data-left="0"' in page


def test_the_need_form_is_disabled_with_the_reason_while_input_is_paused(
    participant_client, live_session
):
    set_phase(live_session, Phase.NEEDS, input_locked=True)

    page = participant_client.get(reverse("sessions:participant", args=[live_session.code])).text

    assert '<fieldset disabled aria-describedby="paused-reason">' in page
    assert "Input is paused by the facilitators" in page


@pytest.mark.parametrize("phase", [Phase.MAPPING, Phase.VOTING, Phase.GAPS])
def test_every_phases_action_says_why_it_cannot_act_while_input_is_paused(
    participant_client, live_session, participant, phase
):
    set_phase(live_session, phase, input_locked=True)
    need = NeedFactory(
        live_session=live_session, author=ParticipantFactory(live_session=live_session)
    )
    Vote.objects.create(live_session=live_session, participant=participant, need=need, dots=1)

    page = participant_client.get(reverse("sessions:participant", args=[live_session.code])).text

    assert "Input is paused by the facilitators" in page
    assert reverse("sessions:map", args=[live_session.code, need.pk]) not in page
    if phase == Phase.VOTING:
        assert re.search(r'vote-add" data-blocked="locked"[^>]* disabled', page)
        assert re.search(r'vote-remove" disabled', page)
    if phase == Phase.GAPS:
        assert 'class="gap-inline" disabled aria-describedby="paused-reason"' in page


def test_a_need_of_spaces_alone_is_refused_with_a_plain_reason(participant_client, live_session):
    response = participant_client.post(
        reverse("sessions:post_need", args=[live_session.code]), {"text": "   \n  "}, headers=HTMX
    )

    assert response.status_code == 422
    assert "Your need is empty: write a few words first." in response.text
    assert not Need.objects.filter(live_session=live_session).exists()


# --- the phase's action ---------------------------------------------------------------------


def test_the_mapping_phase_offers_a_need_the_participant_has_not_mapped(
    participant_client, live_session, participant, strategies
):
    set_phase(live_session, Phase.MAPPING)
    author = ParticipantFactory(live_session=live_session)
    mapped = NeedFactory(author=author, text="Already mapped by me")
    MappingFactory(need=mapped, author=participant, strategy=strategies[0])
    busy = NeedFactory(author=author, text="Mapped by others")
    MappingFactory(need=busy, author=author, strategy=strategies[1])
    fresh = NeedFactory(author=author, text="Nobody mapped this")

    page = participant_client.get(reverse("sessions:participant", args=[live_session.code])).text
    offer = page.split('class="phase-action next-to-map"')[1].split("</section>")[0]

    assert "Nobody mapped this" in offer
    assert reverse("sessions:map", args=[live_session.code, fresh.pk]) in offer


def test_the_gaps_phase_has_its_form_on_the_page(participant_client, live_session):
    set_phase(live_session, Phase.GAPS)

    page = participant_client.get(reverse("sessions:participant", args=[live_session.code])).text

    assert f'action="{reverse("sessions:gap", args=[live_session.code])}"' in page
    assert 'name="kind"' in page and 'name="target"' in page


def test_the_shared_board_for_a_phone_has_no_join_block(participant_client, live_session):
    page = participant_client.get(reverse("sessions:participant", args=[live_session.code])).text
    board = participant_client.get(reverse("sessions:phone_board", args=[live_session.code]))

    assert reverse("sessions:phone_board", args=[live_session.code]) in page
    assert board.status_code == 200
    assert 'class="qr-code"' not in board.text and "board-join" not in board.text
    # The projector's screen of the phase (the board shows one per phase), in one column.
    for region in ('id="board-screen"', 'id="board-counts"', 'class="board board-phone"'):
        assert region in board.text
    assert f'ws-connect="/ws/s/{live_session.code}/board/"' in board.text


def test_the_phone_header_folds_its_menu_behind_a_button(client, live_session):
    page = client.get(reverse("home")).text

    assert 'aria-controls="site-menu" data-site-menu-toggle' in page
    assert 'id="site-menu" class="site-menu"' in page


def test_the_gap_form_answers_in_place_and_keeps_what_was_typed(participant_client, live_session):
    from django.urls import reverse

    from sessions.models import GapNote

    LiveSession.objects.filter(pk=live_session.pk).update(phase="gaps")
    strategy = live_session.taxonomy.strategies.first()
    url = reverse("sessions:gap", args=[live_session.code])
    htmx = {"HX-Request": "true"}

    refused = participant_client.post(
        url, {"target": f"strategy-{strategy.pk}", "kind": "safety", "text": "   "}, headers=htmx
    )
    noted = participant_client.post(
        url,
        {"target": f"strategy-{strategy.pk}", "kind": "safety", "text": "No one studied outing"},
        headers=htmx,
    )

    assert refused.status_code == 422
    assert 'id="gap-form-region" hx-swap-oob="true"' in refused.text
    assert re.search(r'<input[^>]*value="safety"[^>]*checked', refused.text)  # choice kept
    assert noted.status_code == 200
    assert "Thank you: your gap note is on the board." in noted.text
    note = GapNote.objects.get()
    # The author's own Delete comes with the answer (the push every phone gets has none).
    assert f'id="own-gap-{note.pk}"' in noted.text and "delete" in noted.text.lower()
    assert "No one studied outing" not in noted.text.split('id="gaps"')[0]  # the form is fresh
