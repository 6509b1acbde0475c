from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Annual inspections")

    def ready(self) -> None:
        from inspections import queries  # noqa: F401  (home counter and notice)
