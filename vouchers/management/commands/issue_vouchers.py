"""``manage.py issue_vouchers --month YYYY-MM [--station CODE]`` (INTERFACES.md).

Only this month and the next. An administrator may issue a month that has ended
with ``--actor USERNAME --reason TEXT``; the run keeps both.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from carecenter.models import Station, User
from vouchers import actions
from vouchers.forms import parse_month
from vouchers.models import RunTrigger


class Command(BaseCommand):
    help = (
        "Issue a month's service vouchers (this month or the next); safe to repeat. "
        "An ended month needs --actor (an administrator) and --reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--station", help="station code (default: every station)")
        parser.add_argument(
            "--actor", help="username of the administrator issuing an ended month"
        )
        parser.add_argument("--reason", default="", help="why an ended month")

    def handle(self, *args, month, station=None, actor=None, reason="", **options):
        try:
            day = parse_month(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        user = None
        if actor:
            user = User.objects.filter(username=actor, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {actor!r}.")
        try:
            reason = actions.issue_month_check(month=day, actor=user, reason=reason)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
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
            month=day,
            stations=stations,
            actor=user,
            trigger=RunTrigger.COMMAND,
            reason=reason,
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
