"""``manage.py issue_vouchers --month YYYY-MM [--station CODE]`` (INTERFACES.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from carecenter.models import Station
from vouchers import actions
from vouchers.forms import parse_month
from vouchers.models import RunTrigger


class Command(BaseCommand):
    help = "Issue a month's service vouchers; safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--station", help="station code (default: every station)")

    def handle(self, *args, month, station=None, **options):
        try:
            day = parse_month(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        stations = None
        if station:
            try:
                found = Station.objects.get(code=station)
            except Station.DoesNotExist:
                raise CommandError(f"No station with code {station!r}.") from None
            if not found.is_active:
                raise CommandError(f"Station {station} is closed.")
            stations = [found]
        result = actions.month_issue(
            month=day, stations=stations, trigger=RunTrigger.COMMAND
        )
        codes = {s.pk: s.code for s in Station.objects.all()}
        for skipped in result.stopped:
            self.stdout.write(
                f"{skipped.code} {day:%Y-%m}: funding stopped by the annual "
                "inspection, no vouchers issued"
            )
        for run, cycle in zip(result.runs, result.cycles, strict=True):
            self.stdout.write(
                f"{codes[run.station_id]} {day:%Y-%m}: {run.grants_created} new grants "
                f"(free {run.free_count}, low-cost {run.low_cost_count}), "
                f"¥{run.amount_created}; cycle {cycle.status}, "
                f"{cycle.grants_count} grants ¥{cycle.total_amount} in all"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Issued {result.grants_created} grants, ¥{result.amount_created}, "
                f"to {len(result.runs)} stations for {day:%Y-%m}."
            )
        )
