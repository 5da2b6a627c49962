from django.urls import path

from integrations.calendar import views

app_name = "invitations"

urlpatterns = [
    path("invitations/answer/<str:token>/", views.answer, name="answer"),
    path("feeds/<str:token>.ics", views.feed, name="feed"),
    path("api/v1/meetings/<uuid:uid>/deliveries/", views.DeliveriesView.as_view(), name="api-deliveries"),
    path("api/v1/meetings/<uuid:uid>/answers/", views.AnswersView.as_view(), name="api-answers"),
    path("api/v1/meetings/<uuid:uid>/attendees/<int:pk>/delegate/", views.DelegateView.as_view(), name="api-delegate"),
    path("api/v1/meetings/<uuid:uid>/attendees/<int:pk>/answer/", views.AnswerView.as_view(), name="api-answer"),
    path("api/v1/feeds/", views.FeedListView.as_view(), name="api-feeds"),
    path("api/v1/feeds/<int:pk>/", views.FeedDetailView.as_view(), name="api-feed"),
]
