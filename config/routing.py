"""WebSocket routes. Each app that serves WebSockets adds its patterns here."""

websocket_urlpatterns: list = []
