"""Translations: the vi catalogue holds every string of the code, translated and not fuzzy;
English is chosen per user; Django's, allauth's and DRF's own texts are Vietnamese."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", "node_modules", "var", "tests", "bench", "static", ".git", "locale", ".pytest_cache", ".ruff_cache"}


def _copy_sources(dest: Path) -> None:
    """The code and templates only (makemessages would otherwise walk the virtualenv), and the
    browser scripts of the djangojs domain (not the vendored or bundled ones)."""
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if path.is_dir() or any(p.endswith(".egg-info") or p in {".venv", "node_modules", ".git"} for p in rel.parts):
            continue
        if path.suffix == ".js":
            if rel.parts[0] in {"tests", "bench", "var"} or "vendor" in rel.parts or rel.parts[:2] == ("minutes", "js") \
                    or path.name.endswith(".bundle.js"):
                continue
        elif path.suffix not in {".py", ".html", ".txt"} or rel.parts[0] in SKIP_DIRS or any(p in SKIP_DIRS for p in rel.parts):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / rel)


def _entries(po: Path, *flags: str) -> list[str]:
    out = subprocess.run(["msgattrib", *flags, str(po)], capture_output=True, text=True, check=True).stdout
    return [line[7:-1] for line in out.splitlines() if line.startswith('msgid "') and line != 'msgid ""']


def _merged_catalogue(tmp_path: Path, monkeypatch, lang: str, domain: str = "django") -> Path:
    """makemessages into a copy holding the committed catalogue: a string added to the code and
    not to locale/<lang> shows up untranslated; an edited one, fuzzy."""
    src = tmp_path / "src"
    _copy_sources(src)
    (src / "locale" / lang / "LC_MESSAGES").mkdir(parents=True)
    committed = ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"
    shutil.copy2(committed, src / "locale" / lang / "LC_MESSAGES" / f"{domain}.po")
    monkeypatch.chdir(src)
    with override_settings(LOCALE_PATHS=[]):
        call_command("makemessages", locale=[lang], domain=domain, no_location=True, verbosity=0, no_obsolete=True)
    return src / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"


needs_gettext = pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext not installed (apt-get install gettext)")


@needs_gettext
def test_vi_catalogue_has_every_string_of_the_code_translated(tmp_path, monkeypatch):
    """Run `make makemessages` to fix a failure."""
    merged = _merged_catalogue(tmp_path, monkeypatch, "vi")
    untranslated = _entries(merged, "--untranslated", "--no-obsolete")
    fuzzy = _entries(merged, "--only-fuzzy", "--no-obsolete")
    assert not untranslated, f"untranslated in locale/vi (run `make makemessages`): {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in locale/vi: {fuzzy[:10]}"
    assert len(_entries(merged, "--no-obsolete")) > 300  # the extraction really ran


@needs_gettext
def test_en_catalogue_has_english_for_every_string_of_the_code(tmp_path, monkeypatch):
    """A msgid of the code without English (or with a fuzzy guess) in locale/en fails: run
    `make makemessages`, then write the English for the entries left with msgstr ""."""
    merged = _merged_catalogue(tmp_path, monkeypatch, "en")
    untranslated = _entries(merged, "--untranslated", "--no-obsolete")
    fuzzy = _entries(merged, "--only-fuzzy", "--no-obsolete")
    assert not untranslated, f"no English in locale/en for {len(untranslated)} strings: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in locale/en: {fuzzy[:10]}"
    assert len(_entries(merged, "--no-obsolete")) > 300


@needs_gettext
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_browser_scripts_catalogue_has_every_string_translated(tmp_path, monkeypatch, lang):
    """The djangojs domain (minutes.js and the other scripts, served by /jsi18n/)."""
    merged = _merged_catalogue(tmp_path, monkeypatch, lang, "djangojs")
    untranslated = _entries(merged, "--untranslated", "--no-obsolete")
    fuzzy = _entries(merged, "--only-fuzzy", "--no-obsolete")
    assert not untranslated, f"untranslated in locale/{lang}/djangojs.po: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in locale/{lang}/djangojs.po: {fuzzy[:10]}"
    assert "Đã lưu" in _entries(merged, "--no-obsolete")  # minutes.js was read


def test_catalogues_compile_cleanly():
    for po in [*ROOT.glob("locale/*/LC_MESSAGES/*.po"), *ROOT.glob("config/vendor_locale/*/LC_MESSAGES/django.po")]:
        result = subprocess.run(["msgfmt", "--check-format", "--check-domain", "-o", "/dev/null", str(po)], capture_output=True, text=True)
        assert result.returncode == 0 and "plural" not in result.stderr, result.stderr


def test_translation_functions_keep_names_makemessages_extracts():
    """makemessages only finds strings wrapped in the names xgettext is told about (`_`,
    `gettext`, `gettext_lazy`, …): an alias such as `gettext_lazy as _lazy` silently keeps
    its strings out of every catalogue, so English readers would see Vietnamese."""
    import re

    pattern = re.compile(r"from django\.utils\.translation import .*\b(\w*gettext\w*) as (\w+)")
    odd = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if any(p in SKIP_DIRS or p.endswith(".egg-info") for p in rel.parts):
            continue
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            if match.group(2) != "_":
                odd.append(f"{rel}: {match.group(1)} as {match.group(2)}")
    assert odd == [], odd


def test_vendor_catalogue_translates_every_string_of_allauths_account_mfa_and_sessions_code(tmp_path):
    """allauth ships no Vietnamese: config/vendor_locale is its whole translation, so a string
    it lacks (the MFA adapter's "Incorrect code.", say) reaches a Vietnamese page in English."""
    import re

    import allauth

    if shutil.which("xgettext") is None:
        pytest.skip("xgettext (gettext) is not installed")
    base = Path(allauth.__file__).parent
    sources = [str(p) for app in ("account", "mfa", "usersessions") for p in (base / app).rglob("*.py")
               if "tests" not in p.parts and "migrations" not in p.parts]
    pot = tmp_path / "allauth.pot"
    subprocess.run(["xgettext", "-L", "Python", "--keyword=_", "--keyword=gettext_lazy", "--keyword=gettext",
                    "--keyword=pgettext_lazy:1c,2", "-o", str(pot), *sources], check=True)

    def ids(text: str) -> set[str]:
        return {"".join(re.findall(r'"(.*)"', m.group(1))) for m in re.finditer(r'^msgid ((?:".*"\n)+)', text, re.M)}

    catalogue = (ROOT / "config" / "vendor_locale" / "vi" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = sorted(ids(pot.read_text(encoding="utf-8")) - ids(catalogue) - {""})
    assert missing == [], missing
