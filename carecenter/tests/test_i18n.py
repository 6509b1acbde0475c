"""Both catalogs complete and compiled; language from the browser or switcher."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_catalog_is_complete(language):
    catalog = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    missing = [
        e.msgid for e in catalog.untranslated_entries() + catalog.fuzzy_entries()
    ]
    assert missing == []


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_compiled_catalog_matches_the_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    source = {
        (e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(folder / "django.po"))
    }
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(folder / "django.mo"))
    }
    assert compiled == source


def test_the_chinese_catalog_keeps_placeholders():
    catalog = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    import re

    def placeholders(text):
        return sorted(re.findall(r"%\(\w+\)s|\{\w*\}", text))

    for entry in catalog.translated_entries():
        wanted = placeholders(entry.msgid)
        # Chinese has one plural form: it says what the plural msgid says.
        translations = (
            list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        )
        for translation in translations:
            assert placeholders(translation) == wanted, entry.msgid


@pytest.mark.django_db
def test_the_browser_language_chooses_the_interface(client, cast):
    client.force_login(cast.staff_a)
    zh = client.get(
        reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"
    ).content.decode()
    assert "今日站点概况" in zh
    en = client.get(
        reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    ).content.decode()
    assert "Today at the station" in en


@pytest.mark.django_db
def test_the_switcher_overrides_the_browser(client, cast):
    client.force_login(cast.staff_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "Today at the station" in html


@pytest.mark.django_db
def test_django_filter_speaks_chinese():
    from django.utils import translation

    # A msgid found only in django-filter's catalog, so only locale_vendor/ answers it.
    from_django_filter = "Multiple values may be separated by commas."
    with translation.override("zh-hans"):
        assert translation.gettext(from_django_filter) == "多个值可以用逗号分隔。"


def test_the_catalog_holds_every_string_of_the_code(tmp_path):
    """``makemessages`` on a copy of the tree finds nothing the catalog lacks."""
    import os
    import shutil
    import subprocess
    import sys

    base = Path(settings.BASE_DIR)
    copy = tmp_path / "tree"
    ignore = shutil.ignore_patterns(
        ".venv",
        "var",
        "staticfiles",
        "test-results",
        ".git",
        "vendor",
        "__pycache__",
        "*.mo",
    )
    shutil.copytree(base, copy, ignore=ignore)
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "carecenter.settings",
        # makemessages never connects; a URL keeps the embedded server out of the copy.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete",
         "--ignore=test-results", "--ignore=var"],
        cwd=copy, env=env, check=True, capture_output=True,
    )  # fmt: skip
    fresh = polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))
    committed = polib.pofile(str(LOCALE / "zh_Hans/LC_MESSAGES/django.po"))
    have = {(e.msgctxt, e.msgid) for e in committed}
    missing = sorted(e.msgid for e in fresh if (e.msgctxt, e.msgid) not in have)
    assert missing == [], "run `make catalogs` and translate: " + ", ".join(
        missing[:20]
    )
