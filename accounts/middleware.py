from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    """Vietnamese first: the user's chosen language, else the `lang` cookie, else vi.

    The browser's Accept-Language is ignored on purpose for pages: civil servants' machines
    often run English Windows, and the department works in Vietnamese. The API (/api/)
    honours it, since a program's request names its language on purpose.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", None) if user is not None and user.is_authenticated else None
        if request.path.startswith("/api/"):
            # Programs say which language they want: the API honours Accept-Language.
            language = _accepted(request.headers.get("Accept-Language", "")) or language
        language = language or request.COOKIES.get("lang") or settings.LANGUAGE_CODE
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def _accepted(header: str) -> str | None:
    """The first of our languages named in an Accept-Language header (en-US counts as en)."""
    from django.utils.translation.trans_real import parse_accept_lang_header

    supported = dict(settings.LANGUAGES)
    for code, _quality in parse_accept_lang_header(header.lower()[:200]):
        base = code.split("-")[0]
        if base in supported:
            return base
    return None
