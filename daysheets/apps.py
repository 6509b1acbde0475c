from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DaySheetsConfig(AppConfig):
    name = "daysheets"
    verbose_name = _("Day sheets")

    def ready(self) -> None:
        from carecenter.management.commands.seed_demo import seed_demo_steps
        from daysheets import queries  # noqa: F401  (registers the home counters)
        from daysheets.demo import seed_day_sheets

        if seed_day_sheets not in seed_demo_steps:
            seed_demo_steps.append(seed_day_sheets)
