from django.urls import path

from integrations.zoom import webhooks

urlpatterns = [
    path("webhook", webhooks.webhook, name="zoom-webhook"),
]
