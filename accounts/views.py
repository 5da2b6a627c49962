from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Tên gợi nhớ"), max_length=100, required=False)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Ngôn ngữ giao diện"), choices=settings.LANGUAGES,
                                 error_messages={"invalid_choice": _("Chọn Tiếng Việt hoặc English.")})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The user's profile: their units and roles, and their personal API tokens."""
    plaintext = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, plaintext = ApiToken.issue(request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    tokens = request.user.api_tokens.order_by("-created_at")
    memberships = request.user.memberships.select_related("unit").order_by("unit__name")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "tokens": tokens, "plaintext": plaintext, "memberships": memberships,
         "language_form": LanguageForm(initial={"language": request.user.language})},
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Vietnamese or English: kept on the user (and in a cookie, for the login page)."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie("lang", language, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=settings.SESSION_COOKIE_SECURE, httponly=True)
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        token.revoke()
    return redirect("profile")
