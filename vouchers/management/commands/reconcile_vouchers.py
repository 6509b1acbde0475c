"""``manage.py reconcile_vouchers [--station CODE]`` (INTERFACES.md).

Checks every grant against its ledger entries, every cycle against its grants and
every provider statement against its records; prints what disagrees. Exit status
1 when anything does, 0 otherwise. The nightly schedule runs the same check.
"""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from carecenter.commands import LocalizedCommand
from carecenter.models import Station
from vouchers.reconcile import reconcile_and_record


class Command(LocalizedCommand):
    help = (
        "Reconcile the voucher money: grants against the ledger, cycles against "
        "grants, provider statements against records. Exit 1 on any disagreement."
    )

    def add_arguments(self, parser):
        parser.add_argument("--station", help="station code (default: every station)")

    def handle(self, *args, station=None, **options):
        found = None
        if station:
            found = Station.objects.filter(code=station).first()
            if found is None:
                raise CommandError(
                    _("No station with the code %(code)s.") % {"code": station}
                )
        result, _run = reconcile_and_record(station=found)
        for disagreement in result.disagreements:
            self.stdout.write(
                _("DISAGREES %(check)s: %(what)s")
                % {"check": disagreement.check, "what": disagreement}
            )
        checked = ", ".join(f"{n} {what}" for what, n in result.checked.items())
        if result.disagreements:
            raise CommandError(
                _("%(n)d disagreements found (checked %(checked)s in %(s).1f s).")
                % {
                    "n": len(result.disagreements),
                    "checked": checked,
                    "s": result.seconds,
                },
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("The voucher money reconciles: checked %(checked)s in %(s).1f s.")
                % {"checked": checked, "s": result.seconds}
            )
        )
