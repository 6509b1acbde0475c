"""``manage.py run_annual_inspection --year YYYY`` (INTERFACES.md)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from carecenter.commands import LocalizedCommand
from carecenter.models import Station
from inspections import actions


class Command(LocalizedCommand):
    help = (
        "Create or refresh every station's annual inspection of a year; safe to "
        "repeat (decided inspections are left as decided)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="YYYY")

    def handle(self, *args, year, **options):
        if not 2000 <= year <= 2100:
            raise CommandError(
                _("Give the year as YYYY, not %(year)s.") % {"year": year}
            )
        try:
            result = actions.inspections_refresh(year=year)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        codes = dict(Station.objects.values_list("pk", "code"))
        frozen = {i.pk for i in result.frozen}
        created = {id(i) for i in result.created}
        for inspection in result.inspections:
            state = (
                _("decided, kept as decided")
                if inspection.pk in frozen
                else _("created")
                if id(inspection) in created
                else _("refreshed")
            )
            self.stdout.write(
                _(
                    "%(code)s %(year)s: score %(score)s, recommendation %(rec)s "
                    "(%(state)s)"
                )
                % {
                    "code": codes[inspection.station_id],
                    "year": year,
                    "score": inspection.score,
                    "rec": inspection.get_recommendation_display(),
                    "state": state,
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Inspections %(year)s: %(created)d created, %(refreshed)d "
                    "refreshed, %(frozen)d decided and left as they were."
                )
                % {
                    "year": year,
                    "created": len(result.created),
                    "refreshed": len(result.refreshed),
                    "frozen": len(result.frozen),
                }
            )
        )
