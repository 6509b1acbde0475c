"""The base of every management command: it speaks the operator's language.

Output and errors are translated into ``--language`` (``zh-hans`` or ``en``),
else the language in force: the deployment's ``LANGUAGE_CODE`` when run from the
shell, the caller's when called from code. The same catalogs as the pages.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation


class LocalizedCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the output (default: LANGUAGE_CODE)",
        )
        return parser

    def execute(self, *args, **options):
        language = (
            options.pop("language", None)
            or translation.get_language()
            or settings.LANGUAGE_CODE
        )
        with translation.override(language):
            return super().execute(*args, **options)
