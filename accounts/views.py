from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import ApiToken
from meetings import audit


class TokenForm(forms.Form):
    name = forms.CharField(label="Tên gợi nhớ", max_length=100, required=False)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The user's profile: their units and roles, and their personal API tokens."""
    plaintext = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, plaintext = ApiToken.issue(request.user, name=form.cleaned_data["name"])
        audit.security("token.api_issued", request.user, request, token=token.key, name=token.name)
        form = TokenForm()
    tokens = request.user.api_tokens.order_by("-created_at")
    memberships = request.user.memberships.select_related("unit").order_by("unit__name")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "tokens": tokens, "plaintext": plaintext, "memberships": memberships},
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        token.revoke()
        audit.security("token.api_revoked", request.user, request, token=token.key, name=token.name)
    return redirect("profile")
