"""Serve the fake Zoom on loopback for local development (`ZOOM_FAKE=1 make run`).

    ZOOM_FAKE=1 .venv/bin/python manage.py fake_zoom            # port ZOOM_FAKE_PORT (8765)

It accepts the demo credentials that ZOOM_FAKE=1 puts in the settings, sends signed
webhooks to SITE_URL/integrations/zoom/webhook, and makes sure a shared host account
exists. Simulate Zoom events with, e.g.:

    curl -X POST http://127.0.0.1:8765/_fake/events \
      -d '{"event": "meeting.participant_joined", "meeting_id": 81234567890,
           "participant": {"user_name": "Nguyễn Văn A", "email": "a@bvdk.vn"}}'
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from integrations.zoom.fake import FakeZoom
from integrations.zoom.models import ZoomHostAccount

DEMO_HOST = "host@fake.zoom.local"


class Command(BaseCommand):
    help = "Serve a fake Zoom API (and webhook sender) on loopback for development."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.ZOOM_FAKE_PORT)
        parser.add_argument("--no-host", action="store_true", help="Do not create the demo host account.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_host"] and not ZoomHostAccount.objects.filter(is_active=True).exists():
            ZoomHostAccount.objects.create(zoom_user_id=DEMO_HOST, email=DEMO_HOST)
            self.stdout.write(f"Created the shared demo host account {DEMO_HOST}.")
        fake = FakeZoom(
            account_id=settings.ZOOM_ACCOUNT_ID or "fake-account",
            client_id=settings.ZOOM_CLIENT_ID or "fake-client",
            client_secret=settings.ZOOM_CLIENT_SECRET or "fake-secret",
            webhook_url=f"{settings.SITE_URL}/integrations/zoom/webhook",
            webhook_secret=settings.ZOOM_WEBHOOK_SECRET_TOKEN or "fake-webhook-secret",
            port=options["port"],
        )
        self.stdout.write(f"Fake Zoom on {fake.api_base} (token URL {fake.token_url}); Ctrl-C to stop.")
        try:
            fake.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
