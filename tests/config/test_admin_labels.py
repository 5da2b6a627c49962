"""The admin speaks Vietnamese: every model and field it shows has a Vietnamese label (issue #10)."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from tests.factories import make_user

pytestmark = pytest.mark.django_db

OUR_APPS = {"meetings", "accounts", "minutes", "archive", "workspace", "invitations", "online", "zoom"}
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


def _fields(model):  # type: ignore[no-untyped-def]
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


# The English an untranslated admin would show: Django's labels made from the field names.
ENGLISH = {capfirst(f.name.replace("_", " ")) for m in REGISTERED for f in _fields(m)} - {"Id"}


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_admin_field_and_model_has_a_vietnamese_label(model):
    with translation.override("vi"):
        for field in _fields(model):
            if field.name == "id":
                continue
            assert str(field.verbose_name) != field.name.replace("_", " "), f"{model._meta.label}.{field.name}"
        assert str(model._meta.verbose_name) not in {model._meta.model_name, model.__name__.lower()}
        # Django's default plural is the singular plus "s", an English plural.
        assert str(model._meta.verbose_name_plural) != f"{model._meta.verbose_name}s", model._meta.label
        for field in model._meta.concrete_fields:
            for _value, label in field.flatchoices or []:
                if model._meta.app_label in OUR_APPS and field.name == "language":
                    continue  # a language is named in its own language ("English")
                assert not re.fullmatch(r"[A-Za-z ]+ [a-z]+", str(label)), f"{model._meta.label}.{field.name}: {label}"


@pytest.mark.parametrize("model", [m for m in REGISTERED if m._meta.app_label in OUR_APPS], ids=lambda m: m._meta.label)
def test_our_models_name_every_field_themselves(model):
    """Not Django's label made from the attribute name: an explicit verbose_name, translated."""
    for field in _fields(model):
        if field.name != "id":
            assert field._verbose_name is not None, f"{model._meta.label}.{field.name} has no verbose_name"


def _labels(page: str) -> list[str]:
    found = re.findall(r"<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>", page, flags=re.S)
    found += re.findall(r'<div class="text">\s*<(?:a|span)[^>]*>(.*?)</(?:a|span)>', page, flags=re.S)
    texts = [html.unescape(re.sub(r"<[^>]+>", "", t)).strip().rstrip(":").strip() for t in found]
    return [t for t in texts if t]


@pytest.fixture
def superuser_client(org):  # type: ignore[no-untyped-def]
    admin_user = make_user("quantri@quorum.test", full_name="Quản trị", is_staff=True, is_superuser=True)
    admin_user.language = "vi"
    admin_user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(admin_user)
    client.user = admin_user  # type: ignore[attr-defined]
    return client


def test_every_admin_changelist_and_form_is_labelled_in_vietnamese(superuser_client):
    checked_forms = 0
    for model in REGISTERED:
        app, name = model._meta.app_label, model._meta.model_name
        changelist = superuser_client.get(reverse(f"admin:{app}_{name}_changelist"))
        assert changelist.status_code == 200, model._meta.label
        page = changelist.content.decode()
        english = sorted(set(_labels(page)) & ENGLISH)
        assert not english, f"{model._meta.label} changelist: {english}"

        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            url = reverse(f"admin:{app}_{name}_change", args=[obj.pk])
        else:
            url = reverse(f"admin:{app}_{name}_add")
            request = RequestFactory().get(url)
            request.user = superuser_client.user  # type: ignore[attr-defined]
            if not admin.site._registry[model].has_add_permission(request):
                continue  # read-only in the admin, and nothing to show
        response = superuser_client.get(url)
        assert response.status_code == 200, (model._meta.label, url)
        page = response.content.decode()
        labels = set(_labels(page))
        english = sorted(labels & ENGLISH)
        assert not english, f"{model._meta.label} form: {english}"
        if model._meta.app_label in OUR_APPS and obj is not None:
            with translation.override("vi"):
                shown = [f for f in model._meta.concrete_fields if f.name != "id" and f.editable]
                missing = [
                    f.name for f in shown
                    if f.name in page and capfirst(str(f.verbose_name)) not in labels
                    and f"field-{f.name}" in page
                ]
            assert not missing, f"{model._meta.label}: labels not equal to verbose names: {missing}"
            checked_forms += 1
    assert checked_forms >= 5


def test_admin_index_names_apps_and_models_in_vietnamese(superuser_client):
    page = superuser_client.get("/admin/").content.decode()
    for text in ("Lịch họp", "Tài khoản", "Lưu trữ biên bản", "Phòng họp trực tuyến", "Phương thức xác thực", "Phiên đăng nhập"):
        assert text in page
    for english in ("Authenticators", "User sessions", "Document counters", "Export jobs"):
        assert english not in page
