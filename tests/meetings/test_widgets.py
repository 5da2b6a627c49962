"""FastSelect writes the HTML Django's template-rendered Select writes (bar whitespace)."""

from __future__ import annotations

import re

from django import forms

from meetings.widgets import FastSelect

CHOICES = [("", "— Tất cả —"), (1, "Lê <b>Giám</b> Đốc & \"Sở\""), (2, "Trần Văn B"), (30, "Nguyễn Thị C")]


def _squash(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_fast_select_matches_djangos_select_with_escaping_and_selection():
    for value in ("", "2", 30, None, "không có"):
        for attrs in (None, {"id": "id_chair", "class": "filter", "required": True, "disabled": False}):
            slow = forms.Select(choices=CHOICES).render("chair", value, attrs)
            fast = FastSelect(choices=CHOICES).render("chair", value, attrs)
            assert _squash(fast) == _squash(slow), (value, attrs)
    assert "&lt;b&gt;Giám&lt;/b&gt; Đốc &amp; &quot;Sở&quot;" in FastSelect(choices=CHOICES).render("chair", "1")


def test_fast_select_with_groups_falls_back_to_the_templates():
    grouped = [("Bệnh viện", [(1, "A"), (2, "B")]), ("CDC", [(3, "C")])]
    assert _squash(FastSelect(choices=grouped).render("x", 3)) == _squash(forms.Select(choices=grouped).render("x", 3))


def test_the_archive_filter_form_renders_its_selects_in_python():
    from archive.queries import ArchiveFilterForm

    form = ArchiveFilterForm({"chair": "2"}, units=[(1, "BVĐK")], chairs=[(2, "Trần Văn B")])
    html = str(form["chair"])
    assert isinstance(form.fields["chair"].widget, FastSelect)
    assert '<option value="2" selected>Trần Văn B</option>' in html
