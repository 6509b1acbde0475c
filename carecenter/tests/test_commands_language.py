"""Management commands speak the operator's language: --language, else the
deployment's LANGUAGE_CODE (zh-hans) when run from the shell."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_the_language_option_chooses_chinese_or_english(cast, capsys):
    call_command("reconcile_vouchers", language="zh-hans")
    chinese = capsys.readouterr().out
    call_command("reconcile_vouchers", language="en")
    english = capsys.readouterr().out
    assert "The voucher money reconciles" in english
    assert "The voucher money reconciles" not in chinese
    assert "对账" in chinese


def test_errors_are_translated_too(cast):
    with pytest.raises(CommandError) as refused:
        call_command(
            "issue_vouchers", month="2026-11", station="NOPE", language="zh-hans"
        )
    assert "NOPE" in str(refused.value) and "No station" not in str(refused.value)
    with pytest.raises(CommandError) as refused:
        call_command("run_annual_inspection", year=1999, language="en")
    assert "Give the year as YYYY" in str(refused.value)


def test_without_the_option_the_shell_gets_language_code():
    """A fresh process, as an operator runs it: LANGUAGE_CODE (Chinese)."""
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("zh-hans"):
        expected = translation.gettext("--from comes after --to.")
    assert expected != "--from comes after --to."
    answer = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "refresh_dashboard",
            "--from",
            "2026-05",
            "--to",
            "2026-04",
        ],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DEBUG": "1"},
        timeout=120,
    )
    assert answer.returncode != 0
    assert expected in answer.stderr
