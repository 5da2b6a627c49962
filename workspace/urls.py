from django.urls import path

from workspace import views

urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("rooms/", views.rooms, name="rooms"),
    path("rooms/requests/", views.room_queue, name="room_queue"),
    path("rooms/requests/decide/", views.decide, name="room_decide"),
]
