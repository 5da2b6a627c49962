from django.urls import path

from integrations.online import views

urlpatterns = [
    path("j/<str:token>", views.join, name="online-join"),
    path("online/<uuid:uid>/host/", views.start_as_host, name="online-start-as-host"),
]
