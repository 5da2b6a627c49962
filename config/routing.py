"""WebSocket routes. Each app that serves WebSockets adds its patterns here."""

from minutes.routing import websocket_urlpatterns as minutes_ws

websocket_urlpatterns: list = []
websocket_urlpatterns += minutes_ws
