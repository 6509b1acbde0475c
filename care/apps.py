from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "care"
    verbose_name = _("Care calls and emergencies")

    def ready(self) -> None:
        from care import (
            cadence,
            due_counts,
            home,  # noqa: F401  (registers counters, panels, sections)
            jobs,
        )
        from care.demo import seed_care
        from carecenter import home_counts
        from carecenter.management.commands.seed_demo import seed_demo_steps
        from elders import kept

        kept.register(cadence.obligations_store)
        home_counts.register_fold(due_counts.fold, recount=due_counts.recount)
        jobs.register()
        post_migrate.connect(
            cadence.triggers_follow_time_zone,
            sender=self,
            dispatch_uid="care.obligation_time_zone",
        )

        if seed_care not in seed_demo_steps:
            seed_demo_steps.append(seed_care)
