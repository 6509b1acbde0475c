"""``python manage.py rotate_field_key``: re-encrypt the personal fields under the
first key of ``FIELD_ENCRYPTION_KEY`` (see ``elders.rotation``).

Put the new key first, keep the old one after it, deploy, run this command (it
may be interrupted and run again), then remove the old key. ``--status`` only
counts the rows under each key.
"""

import logging

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from carecenter.audit import audit_context
from carecenter.commands import LocalizedCommand
from elders import rotation

security_log = logging.getLogger("carecenter.security")


class Command(LocalizedCommand):
    help = (
        "Re-encrypt resident ID numbers with the first key of FIELD_ENCRYPTION_KEY "
        "(safe to interrupt and repeat)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=rotation.BATCH, help="rows per transaction"
        )
        parser.add_argument(
            "--status", action="store_true", help="only count rows under each key"
        )

    def handle(self, *args, batch, status, **options):
        if batch < 1:
            raise CommandError(_("--batch must be at least 1."))
        before = rotation.key_status()
        self._report(before)
        if before.unreadable:
            raise CommandError(
                _(
                    "%(n)d ID numbers are under a key that is not in "
                    "FIELD_ENCRYPTION_KEY: put that key back (after the new one) "
                    "first."
                )
                % {"n": before.unreadable}
            )
        if status:
            return
        with audit_context(reason="field_key.rotated"):
            done = rotation.rotate(
                batch=batch,
                progress=lambda n: self.stdout.write(
                    _("  %(n)d re-encrypted …") % {"n": n}
                ),
            )
        after = rotation.key_status()
        security_log.info(
            "field key rotated: %d rows re-encrypted, %d left under older keys",
            done,
            after.to_rotate,
        )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(done)d ID numbers re-encrypted with the first key; "
                    "%(left)d left under older keys."
                )
                % {"done": done, "left": after.to_rotate}
            )
        )
        if not after.to_rotate:
            self.stdout.write(
                _(
                    "Every number is under the first key: the older keys can be "
                    "removed from FIELD_ENCRYPTION_KEY (keep them with old backups)."
                )
            )

    def _report(self, status):
        for key_id, rows in sorted(status.by_key.items()):
            if key_id == status.current:
                state = _("first key")
            elif key_id in status.configured:
                state = _("older key, to rotate")
            else:
                state = _("UNKNOWN KEY")
            self.stdout.write(
                _("key %(key)s: %(n)d ID numbers (%(state)s)")
                % {"key": key_id.hex(), "n": rows, "state": state}
            )
