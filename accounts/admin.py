from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["full_name"]
    list_display = ["email", "full_name", "title", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Thông tin"), {"fields": ("full_name", "title", "phone", "language")}),
        (_("Quyền"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)

    def has_delete_permission(self, request, obj=None) -> bool:
        # People leave by being deactivated (is_active): their meetings, minutes and audit
        # entries keep pointing at them (D16).
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "key", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key", "secret_hash", "created_at", "last_used_at"]
    search_fields = ["user__email", "key"]


def _label_social_app_provider() -> None:
    """allauth's SocialApp form swaps the provider field for a ChoiceField with no label, so the
    admin would say "Provider": keep its form, with the field's Vietnamese label."""
    from allauth.socialaccount.admin import SocialAppAdmin, SocialAppForm
    from allauth.socialaccount.models import SocialApp

    class LabelledSocialAppForm(SocialAppForm):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self.fields["provider"].label = SocialApp._meta.get_field("provider").verbose_name

    if admin.site.is_registered(SocialApp):
        admin.site.unregister(SocialApp)
        admin.site.register(SocialApp, type("SocialAppAdmin", (SocialAppAdmin,), {"form": LabelledSocialAppForm}))


_label_social_app_provider()
