"""Group activity pages: the list, plan/edit, and the attendance sheet."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from activities import actions, queries
from activities.forms import ActivityForm, AddElderForm
from activities.models import ActivityKind
from carecenter.forms import add_action_errors
from carecenter.pagination import page_context
from carecenter.scoping import (
    can_write,
    get_visible_or_404,
    require_some_writable_station,
    require_write,
    station_reader_required,
    writable_stations,
)
from elders.models import Elder

PAGE_SIZE = 25


@station_reader_required
def activity_list(request):
    kind = request.GET.get("kind", "")
    if kind not in ActivityKind.values:
        kind = ""
    when = request.GET.get("when", "")
    elder = None
    if request.GET.get("elder", "").isdigit():
        elder = get_visible_or_404(
            request.user, Elder.objects.all(), pk=int(request.GET["elder"])
        )
    activities = queries.activity_list(
        user=request.user, kind=kind, when=when, elder=elder
    )
    return render(
        request,
        "activities/list.html",
        {
            **page_context(request, activities, size=PAGE_SIZE),
            "kinds": ActivityKind.choices,
            "kind": kind,
            "when": when,
            "elder": elder,
            "can_add": writable_stations(request.user).exists(),
        },
    )


@station_reader_required
def activity_form(request, pk: int | None = None):
    activity = None
    initial = {}
    if pk is not None:
        activity = queries.activity_detail(user=request.user, pk=pk)
        require_write(request.user, activity.station)
        kind = (
            "team"
            if activity.organiser_team_id
            else "provider"
            if activity.organiser_provider_id
            else "staff"
        )
        initial = {
            "station": activity.station_id,
            "title": activity.title,
            "kind": activity.kind,
            "starts_at": activity.starts_at,
            "ends_at": activity.ends_at,
            "place": activity.place,
            "organiser_kind": kind,
            "organiser_staff": activity.organiser_staff_id,
            "organiser_team": activity.organiser_team_id,
            "organiser_provider": activity.organiser_provider_id,
            "description": activity.description,
        }
    else:
        require_some_writable_station(request.user)
    form = ActivityForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        station, data = form.action_data()
        try:
            saved = actions.activity_save(
                actor=request.user, station=station, data=data, activity=activity
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("The activity was saved."))
            return redirect(saved)
    return render(request, "activities/form.html", {"form": form, "activity": activity})


@station_reader_required
def activity_detail(request, pk: int):
    """The activity and its sheet: tick who signed up and who came (one submit)."""
    activity = queries.activity_detail(user=request.user, pk=pk)
    writable = can_write(request.user, activity.station)
    extra = request.POST.getlist("extra") or request.GET.getlist("extra")
    if request.GET.get("add", "").isdigit():
        extra = [*extra, request.GET["add"]]
    if request.method == "POST":
        require_write(request.user, activity.station)
        ticked = [v for v in request.POST.getlist("elders") if v.isdigit()]
        try:
            if request.POST.get("what") == "sign_up":
                count = actions.activity_sign_up(
                    actor=request.user, activity=activity, elder_ids=ticked
                )
                messages.success(request, _("%(n)d elders signed up.") % {"n": count})
            else:
                count = actions.activity_attendance_mark(
                    actor=request.user, activity=activity, elder_ids=ticked, only=True
                )
                messages.success(
                    request, _("Attendance taken: %(n)d elders came.") % {"n": count}
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect(activity)
    rows = queries.attendance_sheet(user=request.user, activity=activity, extra=extra)
    return render(
        request,
        "activities/detail.html",
        {
            "activity": activity,
            "rows": rows,
            "extra": [
                r.elder.pk for r in rows if not (r.signed_up or r.attended or r.regular)
            ],
            "attended": sum(1 for r in rows if r.attended),
            "signed_up": sum(1 for r in rows if r.signed_up),
            "started": activity.starts_at <= timezone.now(),
            "can_write": writable,
            "add_form": AddElderForm(user=request.user, station_id=activity.station_id),
        },
    )
