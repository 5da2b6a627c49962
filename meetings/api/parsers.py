"""A JSON parser that answers absurdly nested bodies with 400 instead of 500 (D8)."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def loads(raw: str | bytes) -> Any:
    """json.loads that turns a RecursionError (deep nesting) into a ValueError."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("Nội dung JSON lồng nhau quá sâu.") from None
