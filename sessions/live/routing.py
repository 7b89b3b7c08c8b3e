from django.urls import path

from sessions.live import consumers

# {% url %} cannot reverse these; templates build the path as /ws/s/<code>/<audience>/.
websocket_urlpatterns = [
    path("ws/s/<str:code>/board/", consumers.BoardConsumer.as_asgi()),
    path("ws/s/<str:code>/participant/", consumers.ParticipantConsumer.as_asgi()),
]
