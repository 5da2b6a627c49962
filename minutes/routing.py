from django.urls import path

from minutes.consumers import MinutesConsumer

websocket_urlpatterns = [
    path("ws/minutes/<int:occurrence_id>/", MinutesConsumer.as_asgi()),
]
