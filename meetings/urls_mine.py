from django.urls import path

from meetings import views_mine

urlpatterns = [
    path("", views_mine.my_meetings, name="my_meetings"),
    path("answer/<int:attendee_id>/", views_mine.answer, name="my_meetings_answer"),
    path("delegate/<int:attendee_id>/", views_mine.delegate, name="my_meetings_delegate"),
    path("feed/reset/", views_mine.reset_feed, name="my_meetings_feed_reset"),
]
