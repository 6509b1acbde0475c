"""Day sheet pages: today's sheets, a sheet (tablet at the canteen door), the
meal delivery's route list (A4) and the enrolments."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecenter.forms import add_action_errors
from carecenter.models import Station
from carecenter.pagination import page_context
from carecenter.scoping import (
    can_write,
    get_visible_or_404,
    report_stations,
    require_some_writable_station,
    require_write,
    station_reader_required,
    writable_stations,
)
from daysheets import actions, queries
from daysheets.forms import EndEnrolmentForm, EnrolmentForm, SheetForm, WalkInForm
from daysheets.models import Enrolment
from services.actions import BatchErrors
from services.models import ServiceType

PAGE_SIZE = 50


def _day(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


@station_reader_required
def index(request):
    """Today's (or a chosen day's) sheets of every station the user reads."""
    day = _day(request)
    stations = list(report_stations(request.user).order_by("code"))
    counts = queries.day_sheet_counts(user=request.user, stations=stations, day=day)
    return render(
        request,
        "daysheets/index.html",
        {
            "day": day,
            "stations": [{"station": s, "sheets": counts[s.pk]} for s in stations],
        },
    )


def _sheet_context(request, station_pk: int, code: str, day: datetime.date):
    station = get_visible_or_404(request.user, Station.objects.all(), pk=station_pk)
    service_type = ServiceType.objects.filter(code=code).first()
    if service_type is None or service_type not in queries.day_sheet_services():
        raise Http404(_("No such day sheet."))
    walk_ins = request.POST.getlist("walkin") or request.GET.getlist("walkin")
    sheet = queries.day_sheet(
        user=request.user,
        station=station,
        service_type=service_type,
        day=day,
        walk_ins=walk_ins,
    )
    return station, service_type, sheet


@station_reader_required
def sheet(request, station_pk: int, code: str, day: datetime.date):
    station, service_type, day_sheet = _sheet_context(request, station_pk, code, day)
    writable = can_write(request.user, station)
    to_take = {row.elder.pk: row for row in day_sheet.to_take}
    form = SheetForm(
        request.POST or None,
        user=request.user,
        station=station,
        day=day,
        elder_ids=[row.elder.pk for row in day_sheet.rows],
    )
    if request.method == "POST":
        require_write(request.user, station)
        if form.is_valid():
            ticked = form.cleaned_data["present"]
            # Ticked and recorded already (the same sheet sent twice): existing.
            already = sum(1 for pk in ticked if pk not in to_take)
            lines = [
                actions.SheetLine(to_take[pk].elder, to_take[pk].quantity)
                for pk in ticked
                if pk in to_take
            ]
            try:
                result = (
                    actions.day_sheet_take(
                        actor=request.user,
                        station=station,
                        service_type=service_type,
                        day=day,
                        at=form.cleaned_data["at"],
                        lines=lines,
                        provider=form.cleaned_data["provider"],
                    )
                    if lines
                    else None
                )
            except ValidationError as exc:
                if isinstance(exc, BatchErrors):
                    for index, errors in sorted(exc.by_index.items()):
                        for message in (m for ms in errors.values() for m in ms):
                            form.add_error(
                                None, f"{lines[index].elder.name}: {message}"
                            )
                else:
                    add_action_errors(form, exc)
            else:
                created = result.created if result else 0
                existing = (result.existing if result else 0) + already
                messages.success(
                    request,
                    _("%(created)d recorded, %(existing)d already recorded.")
                    % {"created": created, "existing": existing},
                )
                if result and any(r.awaits_confirmation for r in result.records):
                    messages.warning(
                        request,
                        _(
                            "These services were delivered long ago: the station "
                            "manager must confirm them before they are paid."
                        ),
                    )
                return redirect(
                    reverse("daysheets:sheet", args=[station.pk, code, day])
                )
    if request.method == "POST":
        present = {int(v) for v in request.POST.getlist("present") if v.isdigit()}
    elif day_sheet.recorded:
        # Taken already: whoever is left was absent; ticking them is a choice.
        present = {row.elder.pk for row in day_sheet.to_take if row.walk_in}
    else:
        present = set(to_take)
    walk_ins = [
        row.elder.pk for row in day_sheet.rows if row.walk_in and row.record is None
    ]
    return render(
        request,
        "daysheets/sheet.html",
        {
            "station": station,
            "service_type": service_type,
            "sheet": day_sheet,
            "form": form,
            "walkin_form": WalkInForm(user=request.user, station=station),
            "present": present,
            "walk_ins": walk_ins,
            "can_write": writable,
            "is_delivery": code == "meal_delivery",
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1),
        },
    )


@station_reader_required
def route(request, station_pk: int, code: str, day: datetime.date):
    station, service_type, day_sheet = _sheet_context(request, station_pk, code, day)
    return render(
        request,
        "daysheets/route.html",
        {
            "station": station,
            "service_type": service_type,
            "sheet": day_sheet,
            "stops": queries.route_list(day_sheet),
        },
    )


@station_reader_required
def enrolment_list(request):
    code = request.GET.get("service", "")
    service_type = next(
        (s for s in queries.day_sheet_services() if s.code == code), None
    )
    enrolments = queries.enrolment_list(
        user=request.user,
        service_type=service_type,
        current_on=timezone.localdate(),
    )
    return render(
        request,
        "daysheets/enrolment_list.html",
        {
            **page_context(request, enrolments, size=PAGE_SIZE),
            "services": queries.day_sheet_services(),
            "service": code,
            "can_add": writable_stations(request.user).exists(),
        },
    )


@station_reader_required
def enrolment_form(request, pk: int | None = None):
    enrolment = None
    initial = {}
    if pk is not None:
        enrolment = get_visible_or_404(request.user, Enrolment.objects.all(), pk=pk)
        require_write(request.user, enrolment.station)
        initial = {
            "elder": enrolment.elder_id,
            "service_type": enrolment.service_type_id,
            "weekdays": enrolment.weekdays,
            "meals": enrolment.meals,
            "starts_on": enrolment.starts_on,
            "ends_on": enrolment.ends_on,
            "notes": enrolment.notes,
        }
    else:
        require_some_writable_station(request.user)
        if request.GET.get("elder", "").isdigit():
            initial["elder"] = int(request.GET["elder"])
    form = EnrolmentForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.enrolment_save(
                actor=request.user,
                elder=form.cleaned_data["elder"],
                data=form.action_data(),
                enrolment=enrolment,
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The enrolment was saved."))
            return redirect(
                reverse("daysheets:enrolments")
                + "?"
                + urlencode({"service": form.cleaned_data["service_type"].code})
            )
    return render(
        request,
        "daysheets/enrolment_form.html",
        {"form": form, "enrolment": enrolment, "end_form": EndEnrolmentForm()},
    )


@require_POST
@station_reader_required
def enrolment_end(request, pk: int):
    enrolment = get_visible_or_404(request.user, Enrolment.objects.all(), pk=pk)
    require_write(request.user, enrolment.station)
    form = EndEnrolmentForm(request.POST)
    if form.is_valid():
        try:
            actions.enrolment_end(
                actor=request.user, enrolment=enrolment, on=form.cleaned_data["ends_on"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The enrolment was ended."))
    else:
        messages.error(request, _("Give the last day."))
    return redirect("daysheets:enrolments")
