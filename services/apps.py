from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services")

    def ready(self) -> None:
        from carecenter.management.commands.seed_demo import seed_demo_steps
        from services import queries  # noqa: F401  (registers the home counters)
        from services.demo import seed_services

        if seed_services not in seed_demo_steps:
            seed_demo_steps.append(seed_services)
