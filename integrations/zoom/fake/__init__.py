"""A fake Zoom (API + signed webhooks) on loopback: see server.py."""

from integrations.zoom.fake.server import FakeZoom
from integrations.zoom.fake.webhook import WebhookSender, event_payload, sign

__all__ = ["FakeZoom", "WebhookSender", "event_payload", "sign"]
