"""``manage.py run_annual_inspection --year YYYY`` (INTERFACES.md)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from carecenter.models import Station
from inspections import actions


class Command(BaseCommand):
    help = (
        "Create or refresh every station's annual inspection of a year; safe to "
        "repeat (decided inspections are left as decided)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="YYYY")

    def handle(self, *args, year, **options):
        if not 2000 <= year <= 2100:
            raise CommandError(f"Give the year as YYYY, not {year}.")
        try:
            result = actions.inspections_refresh(year=year)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        codes = dict(Station.objects.values_list("pk", "code"))
        frozen = {i.pk for i in result.frozen}
        created = {id(i) for i in result.created}
        for inspection in result.inspections:
            state = (
                "decided, kept as decided"
                if inspection.pk in frozen
                else "created"
                if id(inspection) in created
                else "refreshed"
            )
            self.stdout.write(
                f"{codes[inspection.station_id]} {year}: score {inspection.score}, "
                f"recommendation {inspection.recommendation} ({state})"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Inspections {year}: {len(result.created)} created, "
                f"{len(result.refreshed)} refreshed, {len(result.frozen)} decided "
                "and left as they were."
            )
        )
