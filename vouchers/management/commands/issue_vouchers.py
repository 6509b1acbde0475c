"""``manage.py issue_vouchers --month YYYY-MM [--station CODE]`` (INTERFACES.md).

Only this month and the next. An administrator may issue a month that has ended
with ``--actor USERNAME --reason TEXT``; the run keeps both.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from carecenter.commands import LocalizedCommand
from carecenter.models import Station, User
from vouchers import actions
from vouchers.forms import parse_month
from vouchers.models import RunTrigger


class Command(LocalizedCommand):
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
                raise CommandError(
                    _("No active user named %(name)s.") % {"name": actor}
                )
        try:
            reason = actions.issue_month_check(month=day, actor=user, reason=reason)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        stations = None
        if station:
            try:
                found = Station.objects.get(code=station)
            except Station.DoesNotExist:
                raise CommandError(
                    _("No station with the code %(code)s.") % {"code": station}
                ) from None
            if not found.is_active:
                raise CommandError(_("Station %(code)s is closed.") % {"code": station})
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
                _(
                    "%(code)s %(month)s: funding stopped by the annual inspection, "
                    "no vouchers issued"
                )
                % {"code": skipped.code, "month": f"{day:%Y-%m}"}
            )
        for run, cycle in zip(result.runs, result.cycles, strict=True):
            self.stdout.write(
                _(
                    "%(code)s %(month)s: %(new)d new grants (free %(free)d, "
                    "low-cost %(low)d), ¥%(amount)s; cycle %(status)s, %(grants)d "
                    "grants ¥%(total)s in all"
                )
                % {
                    "code": codes[run.station_id],
                    "month": f"{day:%Y-%m}",
                    "new": run.grants_created,
                    "free": run.free_count,
                    "low": run.low_cost_count,
                    "amount": run.amount_created,
                    "status": cycle.get_status_display(),
                    "grants": cycle.grants_count,
                    "total": cycle.total_amount,
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Issued %(grants)d grants, ¥%(amount)s, to %(stations)d "
                    "stations for %(month)s."
                )
                % {
                    "grants": result.grants_created,
                    "amount": result.amount_created,
                    "stations": len(result.runs),
                    "month": f"{day:%Y-%m}",
                }
            )
        )
