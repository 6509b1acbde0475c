"""``manage.py refresh_dashboard [--from YYYY-MM] [--to YYYY-MM] [--changed]``.

Without options it does what the schedule does every 15 minutes: the current and
previous month, the snapshot, and the older months writes have touched. With
``--from``/``--to`` it rebuilds the figures of every month in the range (the
snapshot only when the range reaches the current month). ``--changed`` recounts
only the station-months touched since the last refresh. Safe to repeat.
"""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from carecenter.commands import LocalizedCommand
from supervision import actions
from supervision.models import RefreshTrigger
from vouchers.forms import parse_month


class Command(LocalizedCommand):
    help = "Recompute the dashboard's figures; safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="first month, YYYY-MM")
        parser.add_argument("--to", dest="last", help="last month, YYYY-MM")
        parser.add_argument(
            "--changed",
            action="store_true",
            help="only the station-months changed since the last refresh",
        )
        parser.add_argument(
            "--backfill-snapshots",
            action="store_true",
            help="give ended months without a snapshot theirs, from the history",
        )

    def handle(
        self,
        *args,
        first=None,
        last=None,
        changed=False,
        backfill_snapshots=False,
        **options,
    ):
        if backfill_snapshots:
            self._backfill(first, last)
            return
        if changed and (first or last):
            raise CommandError(_("--changed cannot be combined with --from or --to."))
        try:
            first = parse_month(first) if first else None
            last = parse_month(last) if last else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if changed:
            run = actions.figures_refresh_changed(trigger=RefreshTrigger.COMMAND)
        elif first or last:
            last = last or actions.this_month()
            first = first or last
            if first > last:
                raise CommandError(_("--from comes after --to."))
            run = actions.figures_refresh(
                first=first, last=last, trigger=RefreshTrigger.COMMAND
            )
        else:
            run = actions.figures_refresh_recent(trigger=RefreshTrigger.COMMAND)
        self.stdout.write(
            self.style.SUCCESS(
                (
                    _(
                        "Figures %(first)s to %(last)s with the snapshot: %(written)d "
                        "written, %(deleted)d deleted, %(stale)d changed months "
                        "folded in, in %(s).2f s."
                    )
                    if run.snapshot
                    else _(
                        "Figures %(first)s to %(last)s: %(written)d written, "
                        "%(deleted)d deleted, %(stale)d changed months folded in, "
                        "in %(s).2f s."
                    )
                )
                % {
                    "first": f"{run.first_month:%Y-%m}",
                    "last": f"{run.last_month:%Y-%m}",
                    "written": run.figures_written,
                    "deleted": run.figures_deleted,
                    "stale": run.stale_months,
                    "s": run.duration_seconds,
                }
            )
        )

    def _backfill(self, first, last) -> None:
        try:
            first = parse_month(first) if first else None
            last = parse_month(last) if last else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        runs = actions.snapshots_backfill(first=first, last=last)
        for run in runs:
            self.stdout.write(
                _("%(month)s: snapshot filled in from the history, %(n)d figures")
                % {"month": f"{run.last_month:%Y-%m}", "n": run.figures_written}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("%(n)d months filled in; every other month kept its snapshot.")
                % {"n": len(runs)}
            )
        )
