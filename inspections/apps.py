from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Annual inspections")

    def ready(self) -> None:
        from carecenter.management.commands.seed_demo import seed_demo_steps
        from inspections import (
            jobs,
            queries,  # noqa: F401  (home counter and notice)
        )
        from inspections.demo import seed_inspections

        jobs.register()

        if seed_inspections not in seed_demo_steps:
            seed_demo_steps.append(seed_inspections)
