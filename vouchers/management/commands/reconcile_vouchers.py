"""``manage.py reconcile_vouchers [--station CODE]`` (INTERFACES.md).

Checks every grant against its ledger entries, every cycle against its grants and
every provider statement against its records; prints what disagrees. Exit status
1 when anything does, 0 otherwise. The nightly schedule runs the same check.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from carecenter.models import Station
from vouchers.reconcile import reconcile_and_record


class Command(BaseCommand):
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
                raise CommandError(f"No station with code {station!r}.")
        result, _run = reconcile_and_record(station=found)
        for disagreement in result.disagreements:
            self.stdout.write(f"DISAGREES {disagreement.check}: {disagreement}")
        checked = ", ".join(f"{n} {what}" for what, n in result.checked.items())
        if result.disagreements:
            raise CommandError(
                f"{len(result.disagreements)} disagreements found "
                f"(checked {checked} in {result.seconds:.1f} s).",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"The voucher money reconciles: checked {checked} "
                f"in {result.seconds:.1f} s."
            )
        )
