"""The roster pages: import an Excel/CSV roster (preview, then confirm), export.

The uploaded file waits between the preview and the confirmation under
``MEDIA_ROOT/imports/`` (never served), named by a random token that the session
binds to the user and the station; it is deleted on confirmation and after an
hour at the latest. The user never uploads it twice.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from carecenter.exports import XLSX_CONTENT_TYPE, xlsx_response
from carecenter.models import Station
from carecenter.scoping import (
    may_see_some_id_numbers,
    require_write,
    station_reader_required,
    writable_stations,
)
from elders import queries
from elders.id_numbers import mask, normalize
from elders.models import Category, Gender, LivingArrangement, Status
from elders.roster import (
    EXTENSIONS,
    RosterErrors,
    export_filename,
    export_workbook,
    roster_import,
    template_workbook,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TOKEN_LIFETIME_SECONDS = 60 * 60
PREVIEW_ROWS = 50
SESSION_KEY = "roster_imports"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class RosterUploadForm(forms.Form):
    station = forms.ModelChoiceField(
        queryset=Station.objects.none(), label=gettext_lazy("Station")
    )
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )

    def __init__(self, *args, stations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "An Excel workbook (.xlsx) or a CSV file, at most 5 MB and %(rows)s "
            "elders; split a larger roster into several files."
        ) % {"rows": f"{settings.IMPORT_MAX_ROWS:,}"}
        self.fields["station"].queryset = stations
        only = list(stations[:2])
        self.only_station = only[0] if len(only) == 1 else None
        if self.only_station is not None:
            self.fields["station"].initial = self.only_station
            self.fields["station"].widget = forms.HiddenInput()
            self.fields["station"].required = False

    def clean_station(self):
        return self.cleaned_data["station"] or self.only_station

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(EXTENSIONS):
            raise forms.ValidationError(
                _("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 5 MB. Split the roster into several files.")
            )
        return upload


def _import_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _sweep_expired(folder: Path) -> None:
    """Abandoned previews hold personal data: remove those older than an hour."""
    cutoff = time.time() - TOKEN_LIFETIME_SECONDS
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def _writable_station_or_error(request, raw) -> Station | None:
    """The posted station, 404 outside the user's scope, 403 when only readable."""
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        raise Http404(_("Not found."))
    station = Station.objects.filter(pk=int(raw)).first()
    if station is None:
        raise Http404(_("Not found."))
    require_write(request.user, station)
    return station


def _preview_rows(rows) -> list[dict]:
    genders = dict(Gender.choices)
    living = dict(LivingArrangement.choices)
    categories = dict(Category.choices)
    statuses = dict(Status.choices)
    return [
        {
            "number": number,
            "name": data.get("name", ""),
            "gender": genders.get(data.get("gender"), ""),
            "birth_date": data.get("birth_date"),
            # The preview is a list like any other: the last four characters.
            "id_number": mask(normalize(str(data.get("id_number", "")))),
            "living_arrangement": living.get(data.get("living_arrangement"), ""),
            "categories": [categories[c] for c in data.get("categories", [])],
            "status": statuses.get(data.get("status", Status.ACTIVE), ""),
        }
        for number, data in rows[:PREVIEW_ROWS]
    ]


@station_reader_required
def import_upload(request):
    stations = writable_stations(request.user).order_by("code")
    if not stations.exists():
        raise PermissionDenied(
            _("You may view this station's records but not change them.")
        )
    if request.method == "POST":
        _writable_station_or_error(request, request.POST.get("station"))
    form = RosterUploadForm(
        request.POST or None, request.FILES or None, stations=stations
    )
    if request.method != "POST" or not form.is_valid():
        return render(request, "elders/import.html", {"form": form})

    station = form.cleaned_data["station"]
    upload = form.cleaned_data["file"]
    content = upload.read()
    extension = ".csv" if upload.name.lower().endswith(".csv") else ".xlsx"
    context = {"station": station, "filename": upload.name}
    try:
        rows = roster_import(
            actor=request.user,
            station=station,
            file=content,
            filename=upload.name,
            dry_run=True,
        )
    except RosterErrors as exc:
        return render(
            request, "elders/import_preview.html", {**context, "problems": exc.problems}
        )

    folder = _import_dir()
    _sweep_expired(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}{extension}").write_bytes(content)
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = {
        "user": request.user.pk,
        "station": station.pk,
        "extension": extension,
        "filename": upload.name,
        "created": time.time(),
    }
    request.session[SESSION_KEY] = pending
    return render(
        request,
        "elders/import_preview.html",
        {
            **context,
            "token": token,
            "total": len(rows),
            "rows": _preview_rows(rows),
            "shown": min(len(rows), PREVIEW_ROWS),
        },
    )


@require_POST
@station_reader_required
def import_confirm(request):
    token = request.POST.get("token", "")
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.get(token) if _TOKEN.match(token) else None
    if entry is None or entry.get("user") != request.user.pk:
        raise Http404(_("Not found."))
    path = _import_dir() / f"{token}{entry['extension']}"
    del pending[token]
    request.session[SESSION_KEY] = pending
    if time.time() - entry["created"] > TOKEN_LIFETIME_SECONDS or not path.exists():
        path.unlink(missing_ok=True)
        messages.error(request, _("The preview has expired. Upload the file again."))
        return redirect("elders:import")
    station = Station.objects.filter(pk=entry["station"]).first()
    if station is None:
        path.unlink(missing_ok=True)
        raise Http404(_("Not found."))
    require_write(request.user, station)
    try:
        rows = roster_import(
            actor=request.user,
            station=station,
            file=path.read_bytes(),
            filename=entry["filename"],
        )
    except RosterErrors as exc:
        # Someone changed the archives since the preview: nothing was written.
        return render(
            request,
            "elders/import_preview.html",
            {
                "station": station,
                "filename": entry["filename"],
                "problems": exc.problems,
            },
        )
    finally:
        path.unlink(missing_ok=True)
    count = len(rows)
    messages.success(
        request,
        ngettext("%(count)d archive imported.", "%(count)d archives imported.", count)
        % {"count": count},
    )
    return redirect("elders:list")


@require_GET
@station_reader_required
def import_template(request):
    response = HttpResponse(template_workbook(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        'attachment; filename="elder-roster-template.xlsx"'
    )
    return response


@require_GET
@station_reader_required
def export_xlsx(request):
    search = queries.elder_search(
        user=request.user,
        params=request.GET,
        request=request,
        with_id_numbers=may_see_some_id_numbers(request.user),
    )
    return xlsx_response(
        request,
        export_workbook(search.qs, user=request.user),
        filename=export_filename(),
        what="elders:export",
    )
