from django.urls import include, path

from sessions.views import (
    board,
    door,
    evidence,
    facilitator,
    facilitators,
    gaps,
    joining,
    offline,
    participant,
    setups,
)

app_name = "sessions"

urlpatterns = [
    # Organiser exports (patterns in sessions/export_urls.py)
    path("facilitate/<str:code>/export/", include("sessions.export_urls")),
    path("join/", joining.join_form, name="join_form"),
    path("join/<str:code>/", joining.join, name="join"),
    path("join/<str:code>/challenge/", joining.join_challenge, name="join_challenge"),
    path("s/<str:code>/", participant.participant_home, name="participant"),
    # The participant pages' service worker: its scope is the directory it is served from.
    path("s/<str:code>/sw.js", offline.offline_worker, name="offline_worker"),
    path("s/<str:code>/needs/", participant.post_need, name="post_need"),
    path("s/<str:code>/needs/<int:need_id>/edit/", participant.edit_need, name="edit_need"),
    path("s/<str:code>/needs/<int:need_id>/delete/", participant.delete_need, name="delete_need"),
    path("s/<str:code>/needs/<int:need_id>/map/", participant.map_need, name="map"),
    path(
        "s/<str:code>/mappings/<int:mapping_id>/delete/",
        participant.delete_mapping,
        name="delete_mapping",
    ),
    path("s/<str:code>/vote/", participant.vote, name="vote"),
    path("s/<str:code>/gaps/new/", gaps.gap, name="gap"),
    path("s/<str:code>/gaps/<int:gap_id>/delete/", gaps.delete_gap, name="delete_gap"),
    path("s/<str:code>/erase/", joining.erase, name="erase"),
    path("s/<str:code>/board/", board.board, name="board"),
    path("s/<str:code>/board/phone/", board.phone_board, name="phone_board"),
    path("s/<str:code>/poster/", board.poster, name="poster"),
    path("s/<str:code>/live/", board.live, name="live"),
    path("s/<str:code>/results/", board.results, name="results"),
]

# Facilitators
urlpatterns += [
    path("facilitate/", facilitator.session_list, name="facilitate"),
    path("facilitate/new/", facilitator.session_create, name="create"),
    path("facilitate/new/template/", setups.from_template, name="create_from_template"),
    path("facilitate/<str:code>/duplicate/", setups.duplicate, name="duplicate"),
    path("facilitate/<str:code>/evidence/", evidence.evidence, name="evidence"),
    path("facilitate/<str:code>/facilitators/", facilitators.facilitators, name="facilitators"),
    path("facilitate/<str:code>/", facilitator.dashboard, name="dashboard"),
    path("facilitate/<str:code>/settings/", facilitator.session_settings, name="settings"),
    path("facilitate/<str:code>/control/", facilitator.control, name="control"),
    path("facilitate/<str:code>/moderate/", facilitator.moderate, name="moderate"),
    path("facilitate/<str:code>/merge/", facilitator.merge, name="merge"),
    path(
        "facilitate/<str:code>/suggestions/<int:suggestion_id>/dismiss/",
        facilitator.dismiss_suggestion,
        name="dismiss_suggestion",
    ),
    path("facilitate/<str:code>/purge/", facilitator.purge, name="purge"),
    path("facilitate/<str:code>/undo/<int:entry_id>/", facilitator.undo, name="undo"),
    path("facilitate/<str:code>/door/", door.door, name="door"),
    path("facilitate/<str:code>/door/sweep/", door.sweep, name="sweep"),
    path(
        "facilitate/<str:code>/door/sweep/<int:entry_id>/undo/",
        door.sweep_undo,
        name="sweep_undo",
    ),
    path(
        "facilitate/<str:code>/needs/<int:need_id>/correct/",
        facilitator.correct_need,
        name="correct_need",
    ),
    path(
        "facilitate/<str:code>/participants/<int:participant_id>/remove/",
        facilitator.remove_participant,
        name="remove_participant",
    ),
    path(
        "facilitate/<str:code>/participants/<int:participant_id>/restore/",
        facilitator.remove_participant,
        {"restore": True},
        name="restore_participant",
    ),
]
