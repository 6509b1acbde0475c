from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from carecenter.management.commands.seed_demo import seed_demo_steps
        from supervision import jobs
        from supervision.demo import seed_dashboard_figures

        jobs.register()

        # Last: the figures summarise what every other step wrote.
        if seed_dashboard_figures not in seed_demo_steps:
            seed_demo_steps.append(seed_dashboard_figures)
