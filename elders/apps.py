from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EldersConfig(AppConfig):
    name = "elders"
    verbose_name = _("Elder archives")

    def ready(self) -> None:
        from carecenter.management.commands.seed_demo import seed_demo_steps
        from elders import (
            jobs,
            queries,  # noqa: F401  (registers the home counters)
        )
        from elders.demo import seed_elders

        jobs.register()

        if seed_elders not in seed_demo_steps:
            seed_demo_steps.append(seed_elders)
