from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.profile, name="profile"),
    path("tokens/<int:pk>/revoke/", views.revoke_token, name="revoke-token"),
    path("language/", views.set_language, name="set-language"),
    path("invite/", views.invite, name="invite"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept-invitation"),
]
