"""``import_elders FILE --station CODE [--dry-run] [--actor USERNAME]``.

The station's roster (.xlsx or .csv), all or nothing: every bad row is printed to
stderr as ``row N: reason; reason`` and the command exits with status 1 having
written nothing (PRODUCT.md "Elder archives", INTERFACES.md).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from carecenter.commands import LocalizedCommand
from carecenter.models import Role, Station, User
from elders.roster import FILE_ROW, RosterErrors, check_file_size, roster_import


class Command(LocalizedCommand):
    help = (
        "Import elder archives from a station's roster (.xlsx or .csv), all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the roster, .xlsx or .csv")
        parser.add_argument("--station", required=True, help="the station's code")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, write nothing"
        )
        parser.add_argument(
            "--actor",
            help="username recorded as the importer (default: the first administrator)",
        )

    def handle(self, *args, file, station, dry_run, actor, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        target = Station.objects.filter(code=station).first()
        if target is None:
            raise CommandError(
                _("No station with the code %(code)s.") % {"code": station}
            )
        user = self._actor(actor)
        try:
            # Refused before it is read into memory (the roster's size limit).
            check_file_size(path.stat().st_size)
            rows = roster_import(
                actor=user,
                station=target,
                file=path.read_bytes(),
                filename=path.name,
                dry_run=dry_run,
            )
        except RosterErrors as exc:
            for number, reasons in exc.problems:
                where = (
                    _("file") if number == FILE_ROW else _("row %(n)d") % {"n": number}
                )
                self.stderr.write(
                    _("%(where)s: %(reasons)s")
                    % {"where": where, "reasons": "; ".join(reasons)}
                )
            raise CommandError(
                _("%(n)d bad rows; nothing was written.") % {"n": len(exc.problems)}
            ) from None
        except (Http404, PermissionDenied):
            raise CommandError(
                _("%(user)s may not change the archives of station %(code)s.")
                % {"user": user.username, "code": target.code}
            ) from None
        if dry_run:
            self.stdout.write(
                _("%(n)d rows valid, nothing written (dry run)") % {"n": len(rows)}
            )
        else:
            self.stdout.write(_("imported %(n)d elders") % {"n": len(rows)})

    def _actor(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(
                    _("No active user named %(name)s.") % {"name": username}
                )
            return user
        user = (
            User.objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(roles__role=Role.ADMINISTRATOR))
            .order_by("pk")
            .first()
        )
        if user is None:
            raise CommandError(
                _("No active administrator to record as the importer: use --actor.")
            )
        return user
