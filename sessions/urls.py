from django.urls import path

from sessions.views import participant

app_name = "sessions"

urlpatterns = [
    path("join/", participant.join_form, name="join_form"),
]
