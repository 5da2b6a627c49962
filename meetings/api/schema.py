"""drf-spectacular post-processing: every operation documents the errors it can answer
with (400 invalid, 401, 403, 404, 409 conflict, 429), in the one error shape of errors.py,
so clients and schemathesis know them (D12)."""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": "string"},
        "fields": {},
        "conflicts": {"type": "array", "items": {"type": "object"}},
    },
}
ERRORS = {
    "400": "Dữ liệu không hợp lệ (invalid input)",
    "401": "Chưa đăng nhập hoặc mã truy cập sai (not authenticated)",
    "403": "Không có quyền (forbidden)",
    "404": "Không có, hoặc không được xem (not found)",
    "405": "Phương thức không được hỗ trợ (method not allowed)",
    "406": "Định dạng không được hỗ trợ (not acceptable)",
    "409": "Xung đột (conflict)",
    "415": "Kiểu nội dung không được hỗ trợ (unsupported media type)",
    "429": "Quá nhiều yêu cầu (throttled)",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, text in ERRORS.items():
                responses.setdefault(code, {"description": text, "content": {"application/json": {"schema": ref}}})
    return result
