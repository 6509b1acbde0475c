from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def elder_scope_for_volunteer(user):
    """``Q(pk__in=<elder ids of the user's active, approved pairings>)``.

    A subquery rather than a join, so an elder paired twice is never listed twice.
    """
    from django.db.models import Q

    from volunteers.models import paired_elder_ids

    return Q(pk__in=paired_elder_ids(user))


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Volunteers")

    def ready(self) -> None:
        from carecenter.management.commands.seed_demo import seed_demo_steps
        from elders.models import Elder
        from volunteers import queries  # noqa: F401  (registers the home counters)
        from volunteers.demo import seed_volunteers

        # carecenter.scoping asks Elder.volunteer_scope, which asks this hook.
        Elder._volunteer_scope_hook = staticmethod(elder_scope_for_volunteer)
        if seed_volunteers not in seed_demo_steps:
            seed_demo_steps.append(seed_volunteers)
