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
from meetings import audit


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
        token, plaintext = ApiToken.issue(request.user, name=form.cleaned_data["name"])
        audit.security("token.api_issued", request.user, request, token=token.key, name=token.name)
        form = TokenForm()
    tokens = request.user.api_tokens.order_by("-created_at")
    memberships = request.user.memberships.select_related("unit").order_by("unit__name")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "tokens": tokens, "plaintext": plaintext, "memberships": memberships,
         "language_form": LanguageForm(initial={"language": request.user.language}),
         "can_invite": request.user.is_superuser or any(m.role == "unit_admin" for m in memberships)},
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
        audit.security("token.api_revoked", request.user, request, token=token.key, name=token.name)
    return redirect("profile")


# --- invitations (no public sign-up) ------------------------------------------------------


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    """A unit admin invites a person into one of the units they administer."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from accounts import invitations
    from meetings.models import Membership, Unit
    from meetings.permissions import unit_ids

    units = Unit.objects.active() if request.user.is_superuser else Unit.objects.filter(
        pk__in=unit_ids(request.user, [Membership.Role.UNIT_ADMIN]))
    if not units.exists():
        raise PermissionDenied(_("Chỉ quản trị đơn vị mới được mời người dùng."))
    form = invitations.InviteForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        user = invitations.invite(request.user, form.cleaned_data)
        messages.success(request, _("Đã gửi lời mời tới %(email)s.") % {"email": user.email})
        return redirect("invite")
    return render(request, "accounts/invite.html", {"form": form, "hours": settings.QUORUM_INVITATION_MAX_AGE_HOURS})


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee sets a password (the password validators apply), then logs in."""
    from django.contrib import messages
    from django.contrib.auth.forms import SetPasswordForm
    from django.utils.translation import gettext as _

    from accounts import invitations

    user = invitations.user_for_token(token)
    if user is None:
        response = render(request, "accounts/invitation_invalid.html", status=410)
        response["Referrer-Policy"] = "no-referrer"
        return response
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.security("auth.password_set_from_invitation", user, request)
        messages.success(request, _("Đã đặt mật khẩu. Hãy đăng nhập."))
        return redirect("account_login")
    response = render(request, "accounts/invitation_accept.html", {"form": form, "invited": user})
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response
