from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Group activities")

    def ready(self) -> None:
        from activities import queries  # (registers the home counters)
        from activities.demo import seed_activities
        from carecenter.management.commands.seed_demo import seed_demo_steps
        from elders.queries import ELDER_PAGE_PREFETCHES

        if queries.attended_prefetch not in ELDER_PAGE_PREFETCHES:
            ELDER_PAGE_PREFETCHES.append(queries.attended_prefetch)
        if seed_activities not in seed_demo_steps:
            seed_demo_steps.append(seed_activities)
