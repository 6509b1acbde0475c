from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "care"
    verbose_name = _("Care calls and emergencies")

    def ready(self) -> None:
        from care import home  # noqa: F401  (registers counters, panels, sections)
        from care.demo import seed_care
        from carecenter.management.commands.seed_demo import seed_demo_steps

        if seed_care not in seed_demo_steps:
            seed_demo_steps.append(seed_care)
